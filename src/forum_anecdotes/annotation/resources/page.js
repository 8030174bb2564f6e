// The labeling page. Forum posts contain markup and <script> tags: every piece of data is shown
// with textContent, never parsed as HTML. All state that matters lives on the server (tasks and saved
// answers are fetched at start), so a reload or a server restart resumes where the annotator was.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  const state = {
    annotator: null,
    labels: [],     // [{name, title, positive, negative}] in the contract's order: key 1 is labels[0]
    tasks: [],
    answers: {},    // post_id -> the current saved answer
    drafts: {},     // post_id -> unsaved form contents, kept while moving back and forth
    index: 0,       // the task shown; tasks.length means "all done"
    busy: false,    // a request is in flight: keys wait, so one Enter never saves twice
  };

  class ApiFailure extends Error {
    constructor(message, unreachable) {
      super(message);
      this.unreachable = unreachable;  // no answer at all: the server is down or the network is gone
    }
  }

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        cache: "no-store",
        headers: body === undefined ? {} : { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiFailure("Cannot reach the labeling server.", true);
    }
    let payload = null;
    try {
      payload = await response.json();
    } catch (e) {
      payload = null;
    }
    if (!response.ok || payload === null) {
      throw new ApiFailure((payload && payload.error) || `The server answered ${response.status}.`, false);
    }
    return payload;
  }

  function showMessage(text, kind) {
    const box = $("message");
    box.textContent = text || "";
    box.className = kind || "";
    box.hidden = !text;
  }

  // ---- annotator name ------------------------------------------------------------------------

  async function loadAnnotators() {
    try {
      const data = await api("GET", "/api/annotators");
      const list = $("annotator-list");
      list.textContent = "";
      data.annotators.forEach((name, i) => {
        const b = document.createElement("button");
        b.type = "button";
        b.className = "name-chip";
        b.dataset.testid = `annotator-choice-${name}`;
        b.textContent = name;
        b.addEventListener("click", () => { $("annotator-input").value = name; $("annotator-input").focus(); });
        list.append(b);
        if (i < data.annotators.length - 1) list.append(" ");
      });
    } catch (e) {
      $("annotator-list").textContent = "(unavailable)";
      showMessage(`${e.message} Start it, then reload this page.`, "error");
    }
  }

  async function start(name) {
    let data;
    try {
      data = await api("GET", `/api/tasks?annotator=${encodeURIComponent(name)}`);
    } catch (e) {
      showMessage(e.unreachable ? `${e.message} Start it, then reload this page.` : e.message, "error");
      showLogin();
      return;
    }
    state.annotator = data.annotator;
    state.labels = data.labels;
    state.tasks = data.tasks;
    state.answers = data.answers;
    state.drafts = {};
    state.index = data.resume;
    // Per tab, so that a reload resumes, but a shared computer does not label under the last name.
    sessionStorage.setItem("annotator", data.annotator);
    buildLabelList();
    $("who").textContent = `Annotator: ${data.annotator} · guide ${data.guide_version}`;
    $("switch-annotator").hidden = false;
    $("login").hidden = true;
    if (document.activeElement) document.activeElement.blur();  // the keys are for labeling now
    showMessage(data.resume > 0 && data.resume < data.tasks.length ? `Resuming at task ${data.resume + 1}.` : "", "info");
    render();
  }

  function showLogin() {
    state.annotator = null;
    $("labeling").hidden = true;
    $("done").hidden = true;
    $("login").hidden = false;
    $("switch-annotator").hidden = true;
    $("who").textContent = "";
    $("progress").textContent = "";
  }

  // ---- showing a task ------------------------------------------------------------------------

  function buildLabelList() {
    const list = $("label-list");
    list.textContent = "";
    state.labels.forEach((label, i) => {
      const item = document.createElement("li");
      item.dataset.testid = `label-${label.name}`;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "toggle";
      button.id = `label-toggle-${label.name}`;
      button.dataset.testid = `label-toggle-${label.name}`;
      button.setAttribute("aria-pressed", "false");
      const key = document.createElement("kbd");
      key.textContent = String(i + 1);
      const title = document.createElement("span");
      title.className = "toggle-title";
      title.textContent = label.title;
      const name = document.createElement("code");
      name.textContent = label.name;
      const value = document.createElement("span");
      value.className = "toggle-value";
      const positive = document.createElement("span");
      positive.className = "help";
      positive.textContent = `1 when the post ${label.positive}.`;
      const negative = document.createElement("span");
      negative.className = "help help-negative";
      negative.textContent = `Not when ${label.negative}.`;
      button.append(key, " ", title, " ", name, value, positive, negative);
      button.addEventListener("click", clicked(() => toggleLabel(i)));
      item.append(button);
      list.append(item);
    });
  }

  function showContext(id, post, summaryText) {
    const box = $(id);
    box.open = false;  // context is there when needed, folded away otherwise
    box.hidden = !post;
    if (!post) return;
    box.querySelector("summary").textContent = summaryText;
    const title = box.querySelector(".context-title");
    title.textContent = post.title || "";
    title.hidden = !post.title;
    box.querySelector(".context-text").textContent = post.text || "";
  }

  // The labels a task asks (all of them unless the task lists fewer, as PsyTAR tasks do).
  function asked(t) {
    return state.labels.filter((l) => !t.labels || t.labels.includes(l.name));
  }

  function blankForm() {
    const labels = {};
    asked(task()).forEach((l) => { labels[l.name] = 0; });
    return { labels, unclear: false, note: "" };
  }

  function formOf(answer) {
    return { labels: { ...answer.labels }, unclear: answer.unclear, note: answer.note };
  }

  function sameForm(a, b) {
    return a.unclear === b.unclear && a.note === b.note && asked(task()).every((l) => a.labels[l.name] === b.labels[l.name]);
  }

  function task() { return state.tasks[state.index]; }

  function form() {
    const t = task();
    const saved = state.answers[t.post_id];
    return state.drafts[t.post_id] || (saved ? formOf(saved) : blankForm());
  }

  function render() {
    const total = state.tasks.length;
    const answered = state.tasks.filter((t) => state.answers[t.post_id]).length;
    $("progress").textContent = `${answered} / ${total} answered`;
    const done = state.index >= total;
    $("labeling").hidden = done;
    $("done").hidden = !done;
    if (done) return;
    const t = task();
    $("task-position").textContent = `Task ${state.index + 1} of ${total} · ${t.task_id}`;
    const sameThreadStart = t.parent && t.opening && t.parent.post_id === t.opening.post_id;
    showContext("opening-context", sameThreadStart ? null : t.opening, "Context: the thread's opening post (not to label)");
    showContext("parent-context", t.parent, sameThreadStart
      ? "Context: the thread's opening post, which this post replies to (not to label)"
      : "Context: the post this one replies to (not to label)");
    $("post-title").textContent = t.title || "";
    $("post-title").hidden = !t.title;
    $("post-text").textContent = t.text;
    renderForm();
  }

  function renderForm() {
    const t = task();
    const f = form();
    const askedNames = asked(t).map((l) => l.name);
    state.labels.forEach((l) => {
      const button = $(`label-toggle-${l.name}`);
      const isAsked = askedNames.includes(l.name);
      button.disabled = !isAsked;  // a label the task does not ask is shown greyed out, never answered
      button.closest("li").classList.toggle("not-asked", !isAsked);
      setToggle(button, f.labels[l.name] === 1);
      if (!isAsked) button.querySelector(".toggle-value").textContent = "not asked";
    });
    setToggle($("unclear-toggle"), f.unclear);
    if ($("note").value !== f.note) $("note").value = f.note;
    const saved = state.answers[t.post_id];
    const status = $("saved-state");
    if (saved && sameForm(saved, f)) {
      status.textContent = `Your saved answer (${saved.time}). Change it and press Enter to save a new one.`;
      status.className = "saved";
    } else if (saved) {
      status.textContent = "Changed, NOT saved yet: press Enter to save.";
      status.className = "unsaved";
    } else {
      status.textContent = "Not answered yet.";
      status.className = "";
    }
  }

  function setToggle(button, on) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.classList.toggle("on", on);
    button.querySelector(".toggle-value").textContent = on ? "yes (1)" : "no (0)";
  }

  function editForm(change) {
    const t = task();
    const f = form();
    const next = { labels: { ...f.labels }, unclear: f.unclear, note: f.note };
    change(next);
    state.drafts[t.post_id] = next;
    renderForm();
  }

  function toggleLabel(i) {
    const name = state.labels[i].name;
    if (!asked(task()).some((l) => l.name === name)) return;
    editForm((f) => { f.labels[name] = f.labels[name] === 1 ? 0 : 1; });
  }

  // ---- actions -------------------------------------------------------------------------------

  async function saveAndNext() {
    const t = task();
    const f = form();
    const saved = state.answers[t.post_id];
    if (saved && sameForm(saved, f)) {  // nothing changed: do not write a duplicate answer
      delete state.drafts[t.post_id];
      state.index += 1;
      showMessage("", "");
      render();
      return;
    }
    state.drafts[t.post_id] = f;
    try {
      const result = await api("POST", "/api/answer", {
        annotator: state.annotator, task_id: t.task_id, labels: f.labels, unclear: f.unclear, note: f.note,
      });
      state.answers[t.post_id] = result.answer;
      delete state.drafts[t.post_id];
      state.index += 1;
      showMessage(`Saved your answer to task ${t.task_id}.`, "ok");
      render();
    } catch (e) {
      // Stay on the task with the labels as they are, so that Enter tries again.
      const why = e.unreachable ? `${e.message} Check that it is running, then press Enter to try again.` : e.message;
      showMessage(`Your answer to task ${t.task_id} was NOT saved. ${why}`, "error");
    }
  }

  function back() {
    if (state.index === 0) {
      showMessage("This is the first task.", "info");
      return;
    }
    state.index -= 1;
    showMessage("", "");
    render();
  }

  async function undo() {
    try {
      const result = await api("POST", "/api/undo", { annotator: state.annotator });
      const post = result.withdrawn.post_id;
      if (result.current) state.answers[post] = result.current;
      else delete state.answers[post];
      delete state.drafts[post];
      const i = state.tasks.findIndex((t) => t.post_id === post);
      if (i >= 0) state.index = i;
      showMessage(`Withdrew your answer to task ${result.withdrawn.task_id}${result.current
        ? "; your earlier answer to it stands again." : "; it is unanswered now."}`, "info");
      render();
    } catch (e) {
      showMessage(e.unreachable ? `${e.message} Nothing was withdrawn.` : e.message, "error");
    }
  }

  // Keys wait while a request is in flight, so one Enter never saves twice.
  async function run(action) {
    if (state.busy) return;
    state.busy = true;
    document.body.classList.add("busy");
    try {
      await action();
    } finally {
      state.busy = false;
      document.body.classList.remove("busy");
    }
  }

  function onKey(event) {
    const target = event.target;
    const typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA");
    if (typing) {
      if (event.key === "Escape") target.blur();
      return;  // keys are text while typing the name or a note
    }
    if (event.ctrlKey || event.metaKey || event.altKey || !state.annotator) return;
    const key = event.key;
    let action = null;
    if (key === "Backspace") action = back;
    else if (key === "z" || key === "Z") action = undo;
    else if ($("done").hidden) {  // the rest only while a task is shown
      if (/^[1-9]$/.test(key) && Number(key) <= state.labels.length) action = () => toggleLabel(Number(key) - 1);
      else if (key === "u" || key === "U") action = () => editForm((f) => { f.unclear = !f.unclear; });
      else if (key === "Enter") action = saveAndNext;
    }
    if (!action) return;
    // Also stops a focused button from taking Enter as a click, and Backspace from going back a page.
    event.preventDefault();
    run(action);
  }

  function clicked(action) {
    return (event) => { event.currentTarget.blur(); run(action); };
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.addEventListener("keydown", onKey);
    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = $("annotator-input").value.trim();
      if (!name) {
        showMessage("Type your annotator name.", "error");
        return;
      }
      run(() => start(name));
    });
    $("note").addEventListener("input", () => editForm((f) => { f.note = $("note").value; }));
    $("unclear-toggle").addEventListener("click", clicked(() => editForm((f) => { f.unclear = !f.unclear; })));
    $("next-button").addEventListener("click", clicked(saveAndNext));
    $("back-button").addEventListener("click", clicked(back));
    $("undo-button").addEventListener("click", clicked(undo));
    $("done-back").addEventListener("click", clicked(back));
    $("switch-annotator").addEventListener("click", () => {
      sessionStorage.removeItem("annotator");
      showMessage("", "");
      showLogin();
      $("annotator-input").value = "";
      $("annotator-input").focus();
    });
    loadAnnotators();
    const remembered = sessionStorage.getItem("annotator");
    if (remembered) run(() => start(remembered));
  });
})();
