// Progressive enhancement only: every page works without this script.
// A <select data-autosubmit> submits its form when changed (the list's 省/市/县 cascade).
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.matches && t.matches("select[data-autosubmit]") && t.form) {
    t.form.submit();
  }
});
