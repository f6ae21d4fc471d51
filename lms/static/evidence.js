// Progressive enhancement for the evidence form. Without this script the form works as it is:
// Save and Submit post it, and the server checks everything. With it:
// - the draft saves itself a few seconds after the learner stops typing;
// - a copy of the text is kept in this browser until the server has it, so a post refused for an
//   ended sign-in or an expired form loses nothing: the page offers the copy back, and only the
//   learner decides to put it back (the refused request saved nothing);
// - a live word count against the task's expected length, and the character limit, before posting;
// - files over the size limit are flagged before a slow upload;
// - a second click on Submit does not send the form twice.
(function () {
  "use strict";
  var form = document.querySelector("form.evidence-form");
  var done = document.querySelector("[data-kept-done]");
  if (!form) {
    // The evidence is submitted or decided: a copy kept in this browser has served its purpose.
    try { if (done) window.localStorage.removeItem(done.dataset.keptDone); } catch (e) { /* no storage */ }
    return;
  }
  var reflection = form.querySelector("textarea[name=reflection]");
  var links = form.querySelector("textarea[name=links]");
  var revision = form.querySelector("input[name=revision]");
  var status = document.getElementById("autosave-status");
  var counter = document.getElementById("reflection-count");
  var key = form.dataset.keptKey;
  var minWords = parseInt(form.dataset.minWords, 10) || 0;
  var maxWords = parseInt(form.dataset.maxWords, 10) || 0;
  var maxChars = parseInt(form.dataset.maxChars, 10) || 0;
  var WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}_'\u2019-]*/gu;  // the server's count_words, for a live count
  var saveTimer = null, countTimer = null, saving = false, again = false, sending = false, waiting;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function readKept() {
    var store = storage();
    if (!store || !key) return null;
    try { return JSON.parse(store.getItem(key) || "null"); } catch (e) { return null; }
  }

  function keep() {
    var store = storage();
    if (!store || !key) return;
    try {
      store.setItem(key, JSON.stringify({ reflection: reflection.value, links: links ? links.value : "",
                                          at: new Date().toISOString() }));
    } catch (e) { /* storage full or refused: the server copy is all there is */ }
  }

  function forgetIfSaved(saved) {
    var kept = readKept(), store = storage();
    if (kept && store && kept.reflection === saved.reflection && kept.links === saved.links) store.removeItem(key);
  }

  function say(text) { if (status) status.textContent = text; }

  function words(text) { var m = text.match(WORD); return m ? m.length : 0; }

  function updateCount() {
    if (!counter) return;
    var n = words(reflection.value), chars = reflection.value.length;
    var text = n + (n === 1 ? " word" : " words");
    if (minWords && n < minWords) text += ": " + (minWords - n) + " short of the " + minWords + " needed to submit";
    else if (maxWords && n > maxWords) text += ": " + (n - maxWords) + " over the " + maxWords + " asked for";
    text += ".";
    if (maxChars && chars > maxChars) {
      text += " " + chars.toLocaleString("en") + " characters: " + (chars - maxChars).toLocaleString("en") +
              " over the limit of " + maxChars.toLocaleString("en") + ". Shorten it before saving.";
    }
    counter.textContent = text;
  }

  // Offer back text kept from an earlier visit that the saved draft does not hold.
  (function offerKept() {
    var kept = readKept(), box = document.getElementById("kept-copy");
    if (!kept || !box) return;
    if (kept.reflection === reflection.value && kept.links === (links ? links.value : "")) {
      storage().removeItem(key);
      return;
    }
    var when = new Date(kept.at);
    document.getElementById("kept-text").textContent =
      "This browser kept text you typed here on " + when.toLocaleString() + " that is not in the saved " +
      "draft shown below (perhaps your sign-in had ended). It has not been saved. Put it back in the form " +
      "to keep it, or discard it.";
    box.hidden = false;
    document.getElementById("kept-restore").addEventListener("click", function () {
      reflection.value = kept.reflection;
      if (links) links.value = kept.links;
      box.hidden = true;
      updateCount();
      reflection.focus();
      scheduleSave();
    });
    document.getElementById("kept-discard").addEventListener("click", function () {
      storage().removeItem(key);
      box.hidden = true;
      reflection.focus();
    });
  })();

  function autosave() {
    if (saving) { again = true; return; }
    if (maxChars && reflection.value.length > maxChars) {
      say("Not saved: the reflection is over the character limit. Your text is kept in this browser.");
      return;
    }
    saving = true;
    var sent = { reflection: reflection.value, links: links ? links.value : "" };
    var body = new FormData();
    body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    body.append("reflection", sent.reflection);
    body.append("links", sent.links);
    body.append("revision", revision.value);
    say("Saving…");
    fetch(form.dataset.autosaveUrl, { method: "POST", body: body, credentials: "same-origin",
                                      headers: { "Accept": "application/json" }, redirect: "manual" })
      .then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        return (json ? response.json() : Promise.resolve({})).then(function (data) {
          if (response.ok && data.revision) {
            revision.value = data.revision;
            forgetIfSaved(sent);
            say("Draft saved at " + new Date(data.saved_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".");
          } else if (response.status === 409) {
            say(data.error || "Saved elsewhere since this page opened. Your text is kept in this browser.");
          } else if (data.error) {
            say("Not saved: " + data.error);
          } else {
            say("Not saved: your sign-in may have ended. Your text is kept in this browser; sign in again " +
                "and open this page to get it back.");
          }
        });
      })
      .catch(function () { say("Not saved (no connection). Your text is kept in this browser."); })
      .then(function () {
        saving = false;
        if (waiting !== undefined) {
          var submitter = waiting;
          waiting = undefined;
          again = false;
          form.requestSubmit(submitter || undefined);
          return;
        }
        if (again) { again = false; scheduleSave(); }
      });
  }

  function scheduleSave() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(autosave, 2000);
  }

  function changed() {
    keep();
    clearTimeout(countTimer);
    countTimer = setTimeout(updateCount, 400);
    scheduleSave();
  }

  reflection.addEventListener("input", changed);
  if (links) links.addEventListener("input", changed);

  form.addEventListener("submit", function (event) {
    if (sending) { event.preventDefault(); return; }  // a double click sends the form once
    clearTimeout(saveTimer);
    keep();  // in case this post is refused because the sign-in ended
    if (saving) {  // an autosave is on its way: send the form once it is back, with the new revision
      event.preventDefault();
      waiting = event.submitter || null;
      return;
    }
    sending = true;
  });
  // Back from a refused post: the page may come from the browser's memory; let the form be sent again.
  window.addEventListener("pageshow", function () { sending = false; });

  var limit = parseInt(form.dataset.maxBytes, 10);
  var input = form.querySelector("input[type=file]");
  if (input && limit) {
    input.addEventListener("change", function () {
      var tooBig = Array.prototype.filter.call(input.files, function (f) { return f.size > limit; });
      input.setCustomValidity(tooBig.length
        ? tooBig.map(function (f) { return f.name; }).join(", ") + " is larger than " + Math.round(limit / 1048576) + " MB."
        : "");
      input.reportValidity();
    });
  }
})();
