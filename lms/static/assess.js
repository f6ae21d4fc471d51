// Autosave for the assessment form: what an assessor enters is posted (with the form's CSRF token)
// a moment after each change, so nothing is lost to a closed tab or an expired claim. The page works
// without it: a refused decision is kept by the server too.
document.querySelectorAll("form[data-autosave-url]").forEach(function (form) {
  var status = form.querySelector(".autosave-status");
  var timer = null;
  function save() {
    timer = null;
    fetch(form.dataset.autosaveUrl, {method: "POST", body: new FormData(form), credentials: "same-origin",
                                     headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!status) return;
        if (data.error) { status.textContent = data.error; return; }
        status.textContent = "Saved at " + data.saved_at + (data.claim_active ? "." :
          ". Your reservation has ended: your notes are kept, but another assessor may take this submission.");
      })
      .catch(function () { if (status) status.textContent = "Not saved: check your connection."; });
  }
  function later() { if (timer) clearTimeout(timer); timer = setTimeout(save, 1500); }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
});
