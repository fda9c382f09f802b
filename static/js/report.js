// The report page (fill and consolidate): autosave through PATCH /api/reports/{id}/ with the version last read,
// evidence uploads through POST /api/reports/{id}/attachments/, and a submit that waits for a save in flight.
// Every write goes through one queue, so the version the page holds is always the one the server has.
// The page works without this file: 保存 and 提交 post the whole form, and files upload with the 上传 button.
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form || !window.fetch) return;
  var d = form.dataset;
  var MAX_BYTES = 20 * 1024 * 1024;
  var DELAY = 1200;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var versionInput = form.querySelector("input[name=version]");
  var version = parseInt(d.version, 10);
  var status = document.getElementById("autosave-status");
  var statusText = status.querySelector("[data-autosave-text]");
  var conflictBox = document.getElementById("autosave-conflict");
  var timer = null;
  var dirty = false;
  var saved = "";  // the content as the server last confirmed it
  var stopped = false;
  var submitting = false;
  var busy = 0;
  var chain = Promise.resolve();

  form.setAttribute("autocomplete", "off");
  statusText.dataset.idle = statusText.textContent;  // after a reload, show what the server has, not the old typing
  document.querySelectorAll("[data-no-js]").forEach(function (el) { el.hidden = true; });
  document.querySelectorAll("[data-needs-js]").forEach(function (el) { el.hidden = false; });
  saved = snapshot();

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  // The server's time of the save as it wrote it (Beijing time, like every time on the site), else ours.
  function clock(stamp) {
    var match = /T(\d\d:\d\d)/.exec(stamp || "");
    if (match) return match[1];
    var now = new Date();
    return pad(now.getHours()) + ":" + pad(now.getMinutes());
  }
  function setStatus(state, text) { status.dataset.state = state; statusText.textContent = text; }
  function setVersion(value) {
    version = value;
    versionInput.value = value;
    var label = document.getElementById("report-version");
    if (label) label.textContent = "v" + value;
  }
  // Every API error is {detail, code, errors?}; a 400's field messages say more than its detail.
  function messageOf(json) {
    if (!json || typeof json !== "object") return "";
    var errors = json.errors && typeof json.errors === "object" ? json.errors : {};
    var messages = Object.keys(errors).map(function (key) {
      var value = errors[key];
      return Array.isArray(value) ? value.join(" ") : String(value);
    });
    if (messages.length) return messages.join("；");
    return json.detail ? String(json.detail) : "";
  }
  function readJson(response) {
    return response.json().catch(function () { return {}; });
  }

  // One queue for every write: saves and uploads never overtake each other.
  function enqueue(task) {
    busy += 1;
    var run = chain.then(task);
    chain = run.catch(function () { return null; }).then(function () { busy -= 1; });
    return run;
  }

  function snapshot() {
    var data = content();
    delete data.version;
    return JSON.stringify(data);
  }

  function content() {
    var percent = form.elements.percent_complete.value.trim();
    var data = {
      version: version,
      narrative: form.elements.narrative.value,
      percent_complete: percent === "" ? null : percent,
      indicator_values: [],
      milestone_claims: []
    };
    form.querySelectorAll(".indicator-row[data-indicator]").forEach(function (row) {
      var value = row.querySelector("[data-field=value]").value.trim();
      if (value === "") return;
      data.indicator_values.push({
        indicator: parseInt(row.dataset.indicator, 10), value: value,
        note: row.querySelector("[data-field=note]").value.trim()
      });
    });
    form.querySelectorAll(".claim[data-milestone]").forEach(function (row) {
      var date = row.querySelector("[data-field=date]").value;
      if (!row.querySelector("[data-field=done]").checked || !date) return;
      data.milestone_claims.push({
        milestone: parseInt(row.dataset.milestone, 10), completed_date: date,
        evidence: row.querySelector("[data-field=evidence]").value.trim()
      });
    });
    return data;
  }

  function conflict(detail) {
    stopped = true;
    clearTimeout(timer);
    conflictBox.hidden = false;
    conflictBox.querySelector("[data-conflict-text]").textContent = d.msgConflict + (detail ? " " + detail : "");
    setStatus("conflict", d.msgConflict);
    conflictBox.scrollIntoView({ block: "center" });
  }

  function patch(keepalive) {
    var sent = snapshot();
    setStatus("saving", d.msgSaving);
    return fetch(d.api, {
      method: "PATCH", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(content())
    }).then(function (response) {
      return readJson(response).then(function (json) {
        if (response.ok) {
          setVersion(json.version);
          saved = sent;
          setStatus("saved", d.msgSaved.replace("{time}", clock(json.updated_at)));
          return true;
        }
        if (response.status === 409 || response.status === 403) {
          conflict(messageOf(json));
          return false;
        }
        dirty = true;
        setStatus("error", d.msgError + messageOf(json));
        return false;
      });
    }, function () {
      dirty = true;
      setStatus("error", d.msgOffline);
      schedule(5000);
      return false;
    });
  }

  function save(keepalive) {
    clearTimeout(timer);
    timer = null;
    return enqueue(function () {
      if (!dirty || stopped) return true;
      dirty = false;
      return patch(keepalive);
    });
  }

  function schedule(delay) {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(save, delay || DELAY);
  }

  function changed() {
    if (stopped) return;
    if (snapshot() === saved) {  // typed and undone, or a blur after the save: nothing new to send
      dirty = false;
      clearTimeout(timer);
      if (status.dataset.state === "dirty") setStatus("idle", statusText.dataset.idle);
      return;
    }
    dirty = true;
    setStatus("dirty", d.msgUnsaved);
    schedule();
  }

  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") changed();
  });
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "file") return;
    if (target.dataset.field === "done") {
      var row = target.closest(".claim");
      var date = row.querySelector("[data-field=date]");
      if (target.checked && !date.value) date.value = date.max;  // today (Asia/Shanghai) as the server sees it
      row.classList.toggle("is-claimed", target.checked);
    }
    changed();  // a text field's change (on blur) finds nothing new once its input was saved
  });

  // 保存 saves now without leaving the page; 提交 posts the form once the queue is empty.
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.id === "save-report") {
      event.preventDefault();
      dirty = true;
      save();
      return;
    }
    if (submitting) return;
    clearTimeout(timer);
    stopped = true;
    if (busy > 0) {
      event.preventDefault();
      chain.then(function () {
        submitting = true;
        versionInput.value = version;
        form.requestSubmit(submitter);
      });
      return;
    }
    submitting = true;
    versionInput.value = version;
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty && !submitting) save(true);
  });

  if (conflictBox) {
    conflictBox.querySelector("[data-reload]").addEventListener("click", function () {
      window.location.assign(window.location.pathname);
    });
  }

  // --- evidence uploads ---------------------------------------------------------------------------------------
  function sizeLabel(bytes) {
    if (bytes >= 1024 * 1024) return (bytes / 1024 / 1024).toFixed(1) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " B";
  }

  function addFile(key, file) {
    var list = document.querySelector('[data-file-list="' + key + '"]');
    if (!list) return;
    var item = document.createElement("li");
    item.className = "file is-new";
    var type = document.createElement("span");
    type.className = "file-type";
    type.setAttribute("aria-hidden", "true");
    // The server's name: the uploader's base name under the type detected from the content.
    type.textContent = (file.download_name.split(".").pop() || "").slice(0, 4).toUpperCase();
    var link = document.createElement("a");
    link.href = file.url;
    link.setAttribute("download", "");
    link.textContent = file.download_name;
    var meta = document.createElement("span");
    meta.className = "muted small";
    meta.textContent = " " + sizeLabel(file.size);
    item.appendChild(type);
    item.appendChild(link);
    if (file.preview_url) {
      var preview = document.createElement("a");
      preview.className = "file-preview";
      preview.href = file.preview_url;
      preview.target = "_blank";
      preview.rel = "noopener";
      preview.textContent = d.msgPreview;
      item.appendChild(document.createTextNode(" "));
      item.appendChild(preview);
    }
    item.appendChild(meta);
    list.appendChild(item);
  }

  function upload(input) {
    var file = input.files && input.files[0];
    if (!file) return;
    var key = input.dataset.milestone || "general";
    var note = document.querySelector('[data-upload-status="' + key + '"]');
    function say(text, isError) {
      if (!note) return;
      note.textContent = text;
      note.classList.toggle("is-error", !!isError);
    }
    if (file.size > MAX_BYTES) {
      say(d.msgTooBig, true);
      input.value = "";
      return;
    }
    say(d.msgUploading, false);
    var body = new FormData();
    body.append("file", file);
    if (input.dataset.milestone) body.append("milestone", input.dataset.milestone);
    enqueue(function () {
      return fetch(d.uploadApi, {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Accept": "application/json", "X-CSRFToken": csrf }
      }).then(function (response) {
        return readJson(response).then(function (json) {
          if (response.status === 201) {
            addFile(key, json);
            setVersion(version + 1);  // the upload is one revision; the queue kept it in step
            say(d.msgUploaded.replace("{name}", json.download_name), false);
          } else {
            say(d.msgUploadFailed + messageOf(json), true);
          }
        });
      }, function () {
        say(d.msgUploadFailed + d.msgOffline, true);
      }).then(function () { input.value = ""; });
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-upload]")) upload(event.target);
  });
})();
