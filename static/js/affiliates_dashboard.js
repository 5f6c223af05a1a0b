// Affiliate dashboard: the "Copy" buttons put an affiliate link on the clipboard.
// The confirmation label comes from the button's data-copied-label attribute, which the
// template renders with {% translate %}, so this file holds no user-facing text.
document.querySelectorAll(".copy-link").forEach(function (button) {
  button.addEventListener("click", function () {
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard) {
      // Clipboard access can be refused (insecure origin, permissions); the link stays
      // readable in the input beside the button, so a refusal needs no message.
      navigator.clipboard.writeText(text).catch(function () {});
    }
    button.textContent = button.getAttribute("data-copied-label");
    button.setAttribute("data-copied", text);
  });
});
