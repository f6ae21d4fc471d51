// Copy buttons for a badge's link and embed code. Without JavaScript (or a clipboard) the buttons stay
// hidden and the text can be selected and copied by hand.
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll(".copy-button").forEach(function (button) {
    button.hidden = false;
    var label = button.textContent;
    button.addEventListener("click", function () {
      var target = button.dataset.copyTarget && document.getElementById(button.dataset.copyTarget);
      var text = target ? target.value : button.dataset.copyText;
      navigator.clipboard.writeText(text).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 2000);
      }, function () {
        if (target) { target.focus(); target.select(); }
      });
    });
  });
})();
