// Guichet's help widget (R7). A host application adds one tag to a page:
//   <script src="https://support.example/widget.js" data-page-key="gl/journal-entry/new"></script>
// and the page gets "Help on this page", a search box and "Contact support"
// (which follows the signed-in user's support options). No dependencies;
// everything it shows is built as DOM nodes (snippets come escaped by the
// server, with matches in <mark>).
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var origin = new URL(script.src, document.baseURI).origin;
  var pageKey = script.getAttribute("data-page-key") || "";
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "en").slice(0, 2).toLowerCase();
  if (lang !== "fr") { lang = "en"; }
  var words = {
    en: { help: "Help", title: "Help on this page", search: "Search the help", go: "Search", none: "No article yet for this page.",
          noResults: "Nothing found.", contact: "Contact support", signIn: "Sign in to contact support", logCase: "Log a case",
          call: "Call", close: "Close", failed: "The help could not be loaded." },
    fr: { help: "Aide", title: "Aide sur cette page", search: "Rechercher dans l'aide", go: "Rechercher", none: "Pas encore d'article pour cette page.",
          noResults: "Aucun résultat.", contact: "Contacter l'assistance", signIn: "Se connecter pour contacter l'assistance",
          logCase: "Ouvrir une demande d'assistance", call: "Appeler", close: "Fermer", failed: "L'aide n'a pas pu être chargée." }
  }[lang];

  function el(name, attributes, children) {
    var node = document.createElement(name);
    Object.keys(attributes || {}).forEach(function (key) { node.setAttribute(key, attributes[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function snippet(html) {
    // The server escaped the text; only <mark> is markup. Rebuild it as
    // nodes rather than trusting innerHTML.
    var paragraph = el("p", { "class": "guichet-snippet" });
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") { return true; }
      if (part === "</mark>") { return false; }
      var text = document.createElement("textarea");
      text.innerHTML = part;
      var node = document.createTextNode(text.value);
      paragraph.appendChild(marked ? el("mark", {}, [node]) : node);
      return marked;
    }, false);
    return paragraph;
  }

  function articleList(results, empty) {
    if (!results.length) { return el("p", { "class": "guichet-empty" }, [empty]); }
    return el("ul", { "class": "guichet-articles" }, results.map(function (r) {
      return el("li", {}, [
        el("a", { href: origin + r.url, lang: r.lang, target: "_blank", rel: "noopener" }, [r.title]),
        snippet(r.snippet || "")
      ]);
    }));
  }

  function getJson(path) {
    return fetch(origin + path, { credentials: "include", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return { status: response.status, body: body }; }); });
  }

  var link = el("link", { rel: "stylesheet", href: origin + "/static/widget.css" });
  document.head.appendChild(link);

  var panel = el("aside", { "class": "guichet-help", id: "guichet-help", "aria-label": words.title, hidden: "" });
  var toggle = el("button", { type: "button", "class": "guichet-help-toggle", "aria-expanded": "false", "aria-controls": "guichet-help" }, [words.help]);
  var closeButton = el("button", { type: "button", "class": "guichet-help-close" }, [words.close]);
  var contextSection = el("section", { "class": "guichet-context" }, [el("h2", {}, [words.title])]);
  var input = el("input", { type: "search", name: "q", "aria-label": words.search, placeholder: words.search, autocomplete: "off" });
  var form = el("form", { "class": "guichet-search", role: "search" }, [input, el("button", { type: "submit" }, [words.go])]);
  var results = el("div", { "class": "guichet-results", "aria-live": "polite" });
  var contact = el("section", { "class": "guichet-contact" }, [el("h2", {}, [words.contact])]);
  panel.appendChild(closeButton);
  panel.appendChild(contextSection);
  panel.appendChild(form);
  panel.appendChild(results);
  panel.appendChild(contact);
  document.body.appendChild(toggle);
  document.body.appendChild(panel);

  var loaded = false;
  function load() {
    if (loaded) { return; }
    loaded = true;
    getJson("/api/v1/help/context/" + pageKey.split("/").map(encodeURIComponent).join("/") + "?lang=" + lang)
      .then(function (answer) { contextSection.appendChild(articleList(answer.body.articles || [], words.none)); })
      .catch(function () { contextSection.appendChild(el("p", {}, [words.failed])); });
    getJson("/api/v1/me/support-options").then(function (answer) {
      var options = answer.body;
      if (answer.status === 401) {
        contact.appendChild(el("p", {}, [el("a", { href: origin + "/login?next=/contact", target: "_blank", rel: "noopener" }, [words.signIn])]));
        return;
      }
      if (options.explanation) { contact.appendChild(el("p", { "class": "guichet-explanation" }, [options.explanation])); }
      if (options.partner_contact && options.partner_contact.email) {
        contact.appendChild(el("p", {}, [options.partner_contact.company.name + " — ", el("a", { href: "mailto:" + options.partner_contact.email }, [options.partner_contact.email])]));
      }
      if (options.may_open_case) {
        contact.appendChild(el("p", {}, [el("a", { "class": "guichet-log-case", href: origin + "/cases/new", target: "_blank", rel: "noopener" }, [words.logCase])]));
      }
      if (options.may_call && options.phone) {
        contact.appendChild(el("p", {}, [words.call + " : ", el("a", { href: "tel:" + options.phone.number.replace(/[^+0-9]/g, "") }, [options.phone.number])]));
      }
      if (!options.may_open_case) {
        contact.appendChild(el("p", {}, [el("a", { href: origin + "/contact", target: "_blank", rel: "noopener" }, [words.contact])]));
      }
    }).catch(function () { contact.appendChild(el("p", {}, [words.failed])); });
  }

  function show(open) {
    if (open) { panel.removeAttribute("hidden"); load(); input.focus(); } else { panel.setAttribute("hidden", ""); toggle.focus(); }
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }
  toggle.addEventListener("click", function () { show(panel.hasAttribute("hidden")); });
  closeButton.addEventListener("click", function () { show(false); });
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") { show(false); } });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var q = input.value.trim();
    if (!q) { return; }
    getJson("/api/v1/search?limit=5&lang=" + lang + "&q=" + encodeURIComponent(q)).then(function (answer) {
      results.textContent = "";
      results.appendChild(articleList(answer.body.results || [], words.noResults));
    });
  });
})();
