// Enhancements only: every page works without this file.
(function () {
  "use strict";
  // Print: open every explanation branch first, so the printed case file shows the whole tree.
  function openAll() { document.querySelectorAll("details").forEach(function (d) { d.open = true; }); }
  window.addEventListener("beforeprint", openAll);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { openAll(); window.print(); });
  });
  // Caseload upload: show the upload's progress while the files are sent.
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.XMLHttpRequest || !window.FormData) { return; }
      event.preventDefault();
      var bar = form.querySelector("progress");
      var request = new XMLHttpRequest();
      request.open("POST", form.action);
      if (bar) { bar.hidden = false; }
      request.upload.addEventListener("progress", function (e) {
        if (bar && e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; }
      });
      request.addEventListener("load", function () {
        if (request.responseURL && request.responseURL !== form.action) { window.location = request.responseURL; return; }
        document.open(); document.write(request.responseText); document.close();
      });
      request.send(new FormData(form));
    });
  });
  // A field with an error takes the focus, so a keyboard user lands where the fix is.
  var invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) { invalid.focus(); }
})();
