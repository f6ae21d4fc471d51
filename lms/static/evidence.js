// Progressive enhancement for the evidence form: warn about a file over the size limit before
// uploading it, so a teacher on a slow connection does not wait for a refusal. The server checks
// again whatever this script does.
document.querySelectorAll("form.evidence-form").forEach(function (form) {
  var limit = parseInt(form.dataset.maxBytes, 10);
  var input = form.querySelector("input[type=file]");
  if (!input || !limit) return;
  input.addEventListener("change", function () {
    var tooBig = Array.prototype.filter.call(input.files, function (f) { return f.size > limit; });
    input.setCustomValidity(tooBig.length
      ? tooBig.map(function (f) { return f.name; }).join(", ") + " is larger than " + Math.round(limit / 1048576) + " MB."
      : "");
    input.reportValidity();
  });
});
