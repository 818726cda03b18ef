// The 835 upload form: sends the files with XMLHttpRequest so a progress bar can show the upload of a
// large file, then shows the page the server answers (the same page a plain form post renders). Without
// scripts the form posts as usual. No inline script: the pages' CSP forbids it.
(function () {
  "use strict";

  function show(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.querySelector("main");
    var main = document.querySelector("main");
    if (!fresh || !main) { return false; }
    main.innerHTML = fresh.innerHTML;
    main.setAttribute("data-upload", "xhr");  // the page the upload answered, shown in place
    if (page.title) { document.title = page.title; }
    var heading = main.querySelector("#results-heading") || main.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    return true;
  }

  function megabytes(bytes) { return (bytes / 1048576).toFixed(1) + " MiB"; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.id !== "remit-upload" || !window.FormData || !window.XMLHttpRequest) { return; }
    var input = form.querySelector("#remit-files");
    if (!input || !input.files || input.files.length === 0) { return; }  // the server says what to do
    event.preventDefault();
    var box = form.querySelector("#remit-progress");
    var bar = form.querySelector("#remit-progress-bar");
    var text = form.querySelector("#remit-progress-text");
    var button = form.querySelector("#remit-submit");
    box.hidden = false;
    button.disabled = true;
    button.textContent = "Uploading…";
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) { text.textContent = megabytes(e.loaded) + " sent"; return; }
      var percent = Math.round((e.loaded / e.total) * 100);
      bar.value = percent;
      text.textContent = percent + "% · " + megabytes(e.loaded) + " of " + megabytes(e.total);
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      text.textContent = "Uploaded; posting…";
      button.textContent = "Posting…";
    });
    request.addEventListener("load", function () {
      if (!show(request.responseText)) { window.location.reload(); }
    });
    request.addEventListener("error", function () {
      box.hidden = true;
      button.disabled = false;
      button.textContent = "Upload and post";
      text.textContent = "";
      var notice = document.createElement("div");
      notice.className = "notice notice-error";
      notice.setAttribute("role", "alert");
      notice.textContent = "The upload stopped: the connection failed, or the files are larger than " +
        (form.getAttribute("data-limit-text") || "the limit") + " in all. Nothing was posted from it.";
      form.parentNode.insertBefore(notice, form);
    });
    request.send(new FormData(form));
  });
})();
