/* papertide: theme and language toggles, math, keyboard shortcuts, search and ratings.
   Plain JavaScript, no request to any other host; every feature degrades to a readable page. */
(function () {
  "use strict";
  var root = document.documentElement;

  function remember(key, value) {
    try {
      if (value) window.localStorage.setItem(key, value);
      else window.localStorage.removeItem(key);
    } catch (e) {
      /* not kept: the choice lasts for this page only */
    }
  }

  /* Theme: auto (the system's) -> light -> dark -> auto. */
  function setupTheme() {
    var button = document.querySelector("[data-theme-toggle]");
    if (!button) return;
    var order = ["auto", "light", "dark"];
    function show() {
      var current = root.getAttribute("data-theme") || "auto";
      button.textContent = "Theme: " + current;
      button.setAttribute("aria-label", "Colour theme: " + current + " (change)");
    }
    button.hidden = false;
    show();
    button.addEventListener("click", function () {
      var current = root.getAttribute("data-theme") || "auto";
      var next = order[(order.indexOf(current) + 1) % order.length];
      if (next === "auto") root.removeAttribute("data-theme");
      else root.setAttribute("data-theme", next);
      remember("papertide-theme", next === "auto" ? "" : next);
      show();
    });
  }

  /* Languages: both, the English abstract only, or the translation only. */
  function setupLanguage() {
    var group = document.querySelector("[data-lang-toggle]");
    if (!group) return;
    var buttons = group.querySelectorAll("[data-lang-mode]");
    function show() {
      var mode = root.getAttribute("data-show-lang") || "both";
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].setAttribute("aria-pressed", String(buttons[i].getAttribute("data-lang-mode") === mode));
      }
    }
    group.hidden = false;
    show();
    group.addEventListener("click", function (event) {
      var button = event.target.closest("[data-lang-mode]");
      if (!button) return;
      var mode = button.getAttribute("data-lang-mode");
      if (mode === "both") root.removeAttribute("data-show-lang");
      else root.setAttribute("data-show-lang", mode);
      remember("papertide-lang", mode === "both" ? "" : mode);
      show();
    });
  }

  /* Math: $...$, $$...$$, \(...\) and \[...\] in titles, abstracts and write-ups. */
  function renderMath(scope) {
    if (typeof window.renderMathInElement !== "function") return;
    var parts = scope.querySelectorAll(".paper-title, .abstract p, .translation p, .writeup, .toc li > a, .title-list a, .search-results .math, .rollup-line");
    for (var i = 0; i < parts.length; i++) {
      window.renderMathInElement(parts[i], {
        delimiters: [
          { left: "$$", right: "$$", display: true },
          { left: "\\[", right: "\\]", display: true },
          { left: "$", right: "$", display: false },
          { left: "\\(", right: "\\)", display: false }
        ],
        throwOnError: false,
        strict: "ignore",
        ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code"]
      });
    }
  }

  /* Keyboard: "/" searches, "j" / "k" move to the next / previous paper. */
  function setupKeys() {
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      if (event.key === "/") {
        var box = document.getElementById("search-q") || document.getElementById("site-search-q");
        if (box) {
          event.preventDefault();
          box.focus();
        }
        return;
      }
      if (event.key !== "j" && event.key !== "k") return;
      var papers = Array.prototype.slice.call(document.querySelectorAll("article.paper"));
      if (!papers.length) return;
      var current = papers.indexOf(document.activeElement);
      if (current < 0) {
        current = -1;
        for (var i = 0; i < papers.length; i++) {
          if (papers[i].getBoundingClientRect().top <= 8) current = i;
        }
      }
      var next = event.key === "j" ? current + 1 : current - 1;
      if (next < 0 || next >= papers.length) return;
      event.preventDefault();
      papers[next].focus();
      papers[next].scrollIntoView({ block: "start" });
    });
  }

  /* Search over the prebuilt index (static/search-index.js). */
  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setupSearch() {
    var results = document.getElementById("search-results");
    if (!results) return;
    var input = document.getElementById("search-q");
    var status = document.getElementById("search-status");
    var index = window.papertideIndex;
    if (!index) {
      status.textContent = "The search index is missing: rebuild the site with `papertide build`.";
      return;
    }
    var haystacks = index.papers.map(function (p) {
      return { title: fold(p[0]), rest: fold(p[1] + " \n " + p[2] + " \n " + p[3]) };
    });
    var LIMIT = 100;

    function snippet(text, words) {
      var lower = fold(text);
      var at = -1;
      for (var i = 0; i < words.length && at < 0; i++) at = lower.indexOf(words[i]);
      if (at < 0) return text.slice(0, 240);
      var start = Math.max(0, at - 100);
      return (start > 0 ? "…" : "") + text.slice(start, start + 260) + (start + 260 < text.length ? "…" : "");
    }

    function run() {
      var query = input.value.trim();
      var words = fold(query).split(/\s+/).filter(Boolean);
      results.textContent = "";
      if (!words.length) {
        status.textContent = index.papers.length + " papers in the index. Type words to find.";
        return;
      }
      var found = [];
      for (var i = 0; i < haystacks.length; i++) {
        var h = haystacks[i];
        var score = 0;
        var all = true;
        for (var w = 0; w < words.length; w++) {
          var inTitle = h.title.indexOf(words[w]) >= 0;
          if (!inTitle && h.rest.indexOf(words[w]) < 0) {
            all = false;
            break;
          }
          score += inTitle ? 3 : 1;
        }
        if (all) found.push({ i: i, score: score });
      }
      found.sort(function (a, b) {
        return b.score - a.score || (index.papers[b.i][5][0][1] > index.papers[a.i][5][0][1] ? 1 : -1);
      });
      status.textContent = found.length === 0 ? "No paper matches every word." :
        (found.length === 1 ? "1 paper" : found.length + " papers") + " found" +
        (found.length > LIMIT ? "; showing the best " + LIMIT + "." : ".");
      found.slice(0, LIMIT).forEach(function (hit) {
        var p = index.papers[hit.i];
        var places = p[5];
        var li = document.createElement("li");
        li.className = "search-result";
        var h = document.createElement("h2");
        var a = document.createElement("a");
        var first = places[0];
        a.href = index.topics[first[0]][0] + "/" + first[1] + ".html#" + first[2];
        a.textContent = p[0];
        a.className = "math";
        h.appendChild(a);
        li.appendChild(h);
        var where = document.createElement("p");
        where.className = "muted";
        places.forEach(function (place, k) {
          if (k) where.appendChild(document.createTextNode(" · "));
          var link = document.createElement("a");
          link.href = index.topics[place[0]][0] + "/" + place[1] + ".html#" + place[2];
          link.textContent = index.topics[place[0]][1] + ", " + place[1];
          where.appendChild(link);
        });
        where.appendChild(document.createTextNode(" · arXiv:" + p[4]));
        li.appendChild(where);
        var authors = document.createElement("p");
        authors.className = "search-authors";
        authors.textContent = p[1];
        li.appendChild(authors);
        var text = document.createElement("p");
        text.className = "math";
        text.textContent = snippet(p[3] ? p[3] + " " + p[2] : p[2], words);
        li.appendChild(text);
        results.appendChild(li);
      });
      renderMath(results);
    }

    var params = new URLSearchParams(window.location.search);
    input.value = params.get("q") || "";
    var header = document.getElementById("site-search-q");
    if (header) header.value = input.value;
    var timer = 0;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 120);
    });
    input.form.addEventListener("submit", function (event) {
      event.preventDefault();
      run();
    });
    run();
  }

  /* Ratings: "relevant / not relevant" per paper and topic, kept in this browser. Under
     `papertide serve` (the page then names its endpoint in <meta name="papertide-ratings">)
     each click is also POSTed and recorded in the store; elsewhere "Export ratings" saves a
     file for `papertide feedback import`. Format: papertide.feedback.ratings. */
  var RATINGS = "papertide-ratings";

  function loadRatings() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(RATINGS) || "{}");
      return stored && typeof stored === "object" ? stored : {};
    } catch (e) {
      return {};
    }
  }

  function ratingsDocument(list) {
    return {
      format: "papertide-ratings",
      version: 1,
      exported_at: new Date().toISOString(),
      ratings: list.map(function (r) {
        return { paper: r.paper, topic: r.topic, relevant: r.relevant, rated_at: r.rated_at };
      })
    };
  }

  function setupRatings() {
    var bar = document.querySelector("[data-ratings-topic]");
    var groups = document.querySelectorAll("[data-rating]");
    if (!bar || !groups.length) return;
    var topic = bar.getAttribute("data-ratings-topic");
    var meta = document.querySelector('meta[name="papertide-ratings"]');
    var endpoint = meta ? meta.getAttribute("content") : null;
    var ratings = loadRatings();
    var statuses = {};

    function save() {
      remember(RATINGS, JSON.stringify(ratings));
    }

    function all() {
      return Object.keys(ratings).map(function (k) { return ratings[k]; });
    }

    function show() {
      for (var i = 0; i < groups.length; i++) {
        var paper = groups[i].getAttribute("data-rating");
        var built = groups[i].getAttribute("data-stored");  /* in the store when the page was built */
        var r = ratings[topic + " " + paper] ||
          (built ? { relevant: built === "true", stored: true } : null);
        var buttons = groups[i].querySelectorAll("[data-relevant]");
        for (var b = 0; b < buttons.length; b++) {
          var pressed = !!r && String(r.relevant) === buttons[b].getAttribute("data-relevant");
          buttons[b].setAttribute("aria-pressed", String(pressed));
        }
        groups[i].querySelector(".rating-status").textContent =
          statuses[paper] || (!r ? "" : r.stored ? "Recorded in papertide." : "Kept in this browser.");
      }
      var waiting = all().filter(function (r) { return !r.stored && !r.exported; }).length;
      bar.hidden = waiting === 0;
      bar.querySelector("[data-ratings-count]").textContent = waiting === 1 ?
        "1 rating is kept in this browser only." :
        waiting + " ratings are kept in this browser only.";
    }

    function send(list) {
      if (!endpoint || !list.length || !window.fetch) return;
      window.fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ratingsDocument(list))
      }).then(function (response) {
        return response.json().then(function (answer) {
          list.forEach(function (r) {
            var current = ratings[r.topic + " " + r.paper];
            if (response.ok && current && current.rated_at === r.rated_at) current.stored = true;
            if (!response.ok && r.topic === topic) {
              statuses[r.paper] = "Not recorded: " + (answer.error || response.status);
            }
          });
          save();
          show();
        });
      }).catch(function () {
        list.forEach(function (r) {
          if (r.topic === topic) statuses[r.paper] = "Not recorded: papertide serve did not answer; kept in this browser.";
        });
        show();
      });
    }

    for (var i = 0; i < groups.length; i++) {
      groups[i].hidden = false;
      groups[i].addEventListener("click", function (event) {
        var button = event.target.closest("[data-relevant]");
        if (!button) return;
        var paper = this.getAttribute("data-rating");
        var r = {
          paper: paper,
          topic: topic,
          relevant: button.getAttribute("data-relevant") === "true",
          rated_at: new Date().toISOString(),
          stored: false
        };
        ratings[topic + " " + paper] = r;
        delete statuses[paper];
        save();
        show();
        send([r]);
      });
    }

    bar.querySelector("[data-ratings-export]").addEventListener("click", function () {
      var blob = new Blob([JSON.stringify(ratingsDocument(all()), null, 1)], { type: "application/json" });
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "papertide-ratings-" + new Date().toISOString().slice(0, 10) + ".json";
      document.body.appendChild(link);
      link.click();
      link.remove();
      window.setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
      all().forEach(function (r) { r.exported = true; });
      save();
      show();
    });

    show();
    send(all().filter(function (r) { return !r.stored; }));
  }

  function start() {
    setupTheme();
    setupLanguage();
    setupKeys();
    renderMath(document);
    setupSearch();
    setupRatings();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
