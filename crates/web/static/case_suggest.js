// R11: suggestions while the subject of a case is typed. The form works
// without it (step 1 then step 2); with it, articles and community questions
// that may answer it appear under the subject. Opening one is counted for the
// deflection report (the link says where it came from).
(function () {
  "use strict";
  var subject = document.getElementById("subject");
  var box = document.getElementById("case-suggestions");
  if (!subject || !box) { return; }
  var list = box.querySelector("ul");
  var product = document.querySelector("[name=product_area]");
  var lang = document.documentElement.lang === "fr" ? "fr" : "en";
  var timer = null;
  var asked = "";

  function productKey() {
    if (!product) { return ""; }
    var value = product.value || "";
    return value.split("/")[0];
  }

  function show(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var link = document.createElement("a");
      var key = productKey();
      // Articles opened from here count for the deflection report.
      link.href = r.kind === "article"
        ? r.url + "&from=case" + (key ? "&product=" + encodeURIComponent(key) : "")
        : r.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.lang = r.lang;
      link.textContent = r.title;
      var item = document.createElement("li");
      item.appendChild(link);
      list.appendChild(item);
    });
    if (results.length) { box.removeAttribute("hidden"); } else { box.setAttribute("hidden", ""); }
  }

  function ask() {
    var q = subject.value.trim();
    if (q === asked) { return; }
    asked = q;
    if (q.length < 3) { show([]); return; }
    var url = "/api/v1/suggest?lang=" + lang + "&q=" + encodeURIComponent(q);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (body) { if (subject.value.trim() === q) { show(body.results || []); } })
      .catch(function () { show([]); });
  }

  subject.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
})();
