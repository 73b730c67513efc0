/*
 * Guichet accessibility helpers for Chainlit's page (loaded through `custom_js`).
 *
 * Chainlit 2.12 renders icon-only buttons whose name only exists in a hover tooltip, and has
 * no live region: a screen reader hears nothing when an answer arrives. This script, without
 * touching Chainlit's code:
 *  - names icon-only buttons (French labels from the project's translations);
 *  - marks the message list aria-busy while an answer is being written (Chainlit shows
 *    #stop-button during a run) and, once the run ends, announces the finished answer once
 *    in a polite live region, instead of nothing or token by token;
 *  - follows the system's light/dark preference until the user picks a theme;
 *  - on the login page, keeps the error box hidden until the person's own login attempt
 *    fails (the page's automatic header login is refused on the agents' page, which
 *    Chainlit reports with the same box);
 *  - hides the account menu of anonymous citizens (it would show an internal id and a
 *    "log out" that means nothing to them); agents keep theirs.
 * It must stay small and fail silently: the chat works without it.
 *
 * The same file serves the Copilot widget: loaded on the administration's page next to
 * copilot/index.js, it does the same inside the widget's shadow root, and names the
 * floating button. There it leaves the host page's language and theme alone.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var server = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var isChainlitPage = !!document.querySelector('meta[property="og:root_path"]');
  if (isChainlitPage) setupPage();

  function setupPage() {
  // Chainlit reads "vite-ui-theme" at start-up; without a stored choice it would use the
  // configured default. "system" follows prefers-color-scheme. This script runs before the
  // app bundle (deferred scripts and modules run in document order).
  try {
    if (!localStorage.getItem("vite-ui-theme")) localStorage.setItem("vite-ui-theme", "system");
  } catch (e) { /* storage disabled: keep Chainlit's default */ }

  document.documentElement.lang = "fr";
  watchAuth();
  markLoginPage();
  }

  // --- login errors and the citizen's account menu ------------------------------------
  // Classes on <html>, read by public/style.css:
  //  guichet-login-pristine: the login page before any failed attempt by the person (the
  //    error box stays hidden); a refused OAuth login comes back with ?error= and shows it;
  //  guichet-citizen: the signed-in user is an anonymous citizen (no account menu).
  var userLoginFailed = false;

  function isLoginPage() {
    return /\/login\/?$/.test(location.pathname);
  }

  function markLoginPage() {
    var pristine = isLoginPage() && !userLoginFailed &&
      !new URLSearchParams(location.search).has("error");
    document.documentElement.classList.toggle("guichet-login-pristine", pristine);
  }

  function markUser(user) {
    var role = user && user.metadata && user.metadata.role;
    var citizen = !!user && (role === "citizen" || (!role &&
      /^citoyen-/.test(user.identifier || "")));
    document.documentElement.classList.toggle("guichet-citizen", citizen);
  }

  // Chainlit's own requests tell who is signed in (GET /user) and whether the person's
  // password login failed (POST /login). The class is set before Chainlit reads the answer,
  // so the menu never flashes.
  function watchAuth() {
    var original = window.fetch;
    if (!original) return;
    window.fetch = function (input, init) {
      var promise = original.apply(this, arguments);
      try {
        var url = new URL(typeof input === "string" ? input : input.url, location.href);
        var method = ((init && init.method) || (input && input.method) || "GET").toUpperCase();
        if (url.origin !== location.origin) return promise;
        if (method === "POST" && /\/login\/?$/.test(url.pathname)) {
          return promise.then(function (r) {
            if (!r.ok) { userLoginFailed = true; markLoginPage(); }
            return r;
          });
        }
        if (method === "GET" && /\/user\/?$/.test(url.pathname)) {
          return promise.then(function (r) {
            if (!r.ok) return r;
            return r.clone().json().then(function (u) { markUser(u); return r; },
              function () { return r; });
          });
        }
        if (method === "POST" && /\/logout\/?$/.test(url.pathname)) markUser(null);
      } catch (e) { /* never break Chainlit's requests */ }
      return promise;
    };
  }

  // Fallback labels; replaced by the served translation when it loads.
  var labels = {
    newChat: "Nouvelle conversation",
    send: "Envoyer la question",
    stop: "Arrêter la réponse",
    attach: "Joindre un document",
    copy: "Copier la réponse",
    positive: "Oui, cette réponse m'a aidé",
    negative: "Non, cette réponse ne m'a pas aidé",
    theme: "Changer de thème (clair, sombre, système)",
    close: "Fermer",
    sidebarOpen: "Ouvrir la liste des conversations",
    sidebarClose: "Fermer la liste des conversations",
    user: "Mon compte",
    showPassword: "Afficher le mot de passe",
    hidePassword: "Masquer le mot de passe",
    logo: "Guichet",
    input: "Votre question",
    widget: "Poser une question à Guichet, l'assistant numérique",
    widgetClose: "Fermer l'assistant Guichet",
    widgetDialog: "Guichet, assistant numérique",
    displayMode: "Changer l'affichage de l'assistant (fenêtre ou panneau)",
    expand: "Agrandir l'assistant",
    shrink: "Réduire l'assistant",
    answerPrefix: "Réponse de Guichet : ",
    searchChats: "Rechercher dans mes conversations",
    writing: "Guichet rédige sa réponse…"
  };

  function pick(t, path) {
    return path.split(".").reduce(function (o, k) { return o && o[k]; }, t);
  }

  try {
    var base = isChainlitPage
      ? (document.querySelector('meta[property="og:root_path"]') || {}).content || ""
      : server;
    fetch(base + "/project/translations?language=fr-FR")
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        var t = body && body.translation;
        if (!t) return;
        var map = {
          newChat: "navigation.newChat.button",
          send: "chat.input.actions.send",
          stop: "chat.input.actions.stop",
          attach: "chat.input.actions.attachFiles",
          copy: "chat.messages.actions.copy.button",
          positive: "chat.messages.feedback.positive",
          negative: "chat.messages.feedback.negative",
          sidebarOpen: "threadHistory.sidebar.actions.open",
          sidebarClose: "threadHistory.sidebar.actions.close"
        };
        Object.keys(map).forEach(function (k) {
          var v = pick(t, map[k]);
          if (typeof v === "string" && v) labels[k] = v;
        });
        scan();
      })
      .catch(function () {});
  } catch (e) { /* no fetch: keep fallbacks */ }

  // Icon-only buttons: by id first, then by the lucide icon they draw.
  var BY_ID = {
    "new-chat-button": "newChat",
    "chat-submit": "send",
    "stop-button": "stop",
    "upload-button": "attach",
    "theme-toggle": "theme",
    "sidebar-trigger-button": "sidebarOpen",
    "user-nav-button": "user",
    "chainlit-copilot-button": "widget",
    "display-mode-button": "displayMode",
    "search-chats-button": "searchChats"
  };
  var BY_ICON = [
    ["lucide-copy", "copy"],
    ["lucide-eye-off", "hidePassword"],
    ["lucide-eye", "showPassword"],
    ["lucide-thumbs-up", "positive"],
    ["lucide-thumbs-down", "negative"],
    ["lucide-paperclip", "attach"],
    ["lucide-maximize", "expand"],
    ["lucide-minimize", "shrink"],
    ["lucide-panel-left-close", "sidebarClose"],
    ["lucide-panel-left-open", "sidebarOpen"],
    ["lucide-panel-left", "sidebarOpen"]
  ];

  function hasVisibleName(btn) {
    if (btn.getAttribute("aria-labelledby")) return true;
    var text = "";
    btn.childNodes.forEach(function (n) {
      if (n.nodeType === 3) text += n.textContent;
      else if (n.nodeType === 1 && !n.classList.contains("sr-only")) text += n.textContent;
    });
    return text.trim().length > 0;
  }

  function labelFor(btn) {
    if (btn.id === "chainlit-copilot-button" && btn.getAttribute("data-state") === "open") {
      return labels.widgetClose;
    }
    if (btn.id && BY_ID[btn.id]) return labels[BY_ID[btn.id]];
    var svg = btn.querySelector("svg");
    var cls = svg ? (svg.getAttribute("class") || "") : "";
    for (var i = 0; i < BY_ICON.length; i++) {
      if (cls.indexOf(BY_ICON[i][0]) !== -1) return labels[BY_ICON[i][1]];
    }
    return null;
  }

  // Buttons whose visible text is no good name: the user's initial.
  var FORCE = { "user-nav-button": true };

  // Chainlit hard-codes a few English screen-reader texts (not in its translations).
  var SR_TEXTS = {
    "Toggle theme": "theme",
    "Toggle Sidebar": "sidebarOpen",
    "Close": "close"
  };

  function translateSrOnly(scope) {
    scope.querySelectorAll(".sr-only").forEach(function (el) {
      var key = SR_TEXTS[(el.textContent || "").trim()];
      if (key && labels[key]) el.textContent = labels[key];
    });
  }

  function nameButtons(scope) {
    translateSrOnly(scope);
    scope.querySelectorAll("button").forEach(function (btn) {
      if (hasVisibleName(btn) && !FORCE[btn.id]) return;
      var label = labelFor(btn);
      // Our own label wins over an English sr-only text (e.g. "Toggle theme").
      if (label && btn.getAttribute("aria-label") !== label) btn.setAttribute("aria-label", label);
    });
  }

  // The document, or the Copilot widget's shadow root once it exists.
  var scope = isChainlitPage ? document : null;

  function nameOthers() {
    // The question field only has a placeholder, which disappears while typing.
    var input = scope.querySelector("#chat-input");
    if (input && !input.getAttribute("aria-label")) input.setAttribute("aria-label", labels.input);
    // The widget's popover is a dialog without a name.
    scope.querySelectorAll('[role="dialog"]').forEach(function (d) {
      if (!d.getAttribute("aria-label") && !d.getAttribute("aria-labelledby")) {
        d.setAttribute("aria-label", labels.widgetDialog);
      }
    });
    scope.querySelectorAll('img.logo[alt="logo"]').forEach(function (img) {
      img.setAttribute("alt", labels.logo);
    });
    // Chainlit's English technical toast on a failed login ("Unauthorized: ...") repeats the
    // form's French error: hide it. Sonner's <ol> holds role=status items, not list items.
    scope.querySelectorAll("[data-sonner-toast]").forEach(function (toast) {
      if (/^\s*Unauthorized/.test(toast.textContent || "")) toast.style.display = "none";
    });
    // The history sidebar's menu lists hold wrapper <div>s, not list items: no list semantics.
    scope.querySelectorAll('ul[data-sidebar="menu"]').forEach(function (ul) {
      var bad = Array.prototype.some.call(ul.children, function (c) { return c.tagName !== "LI"; });
      if (bad && ul.getAttribute("role") !== "group") ul.setAttribute("role", "group");
    });
    scope.querySelectorAll("ol[data-sonner-toaster]").forEach(function (ol) {
      if (!ol.getAttribute("role")) ol.setAttribute("role", "group");
    });
    // Decorative images with English alt texts: the avatar repeats the author's name, the
    // login page picture says "Image".
    scope.querySelectorAll('img[alt^="Avatar for"], img[alt="Chat bubble icon"], img[alt="Image"]').forEach(function (img) {
      img.setAttribute("alt", "");
    });
  }

  // --- answer announcements ----------------------------------------------------------
  var live = null;
  function liveRegion() {
    if (live && live.isConnected) return live;
    live = document.createElement("div");
    live.id = "guichet-live";
    // Inline so it also works inside the widget's shadow root, where style.css is absent.
    live.setAttribute("style", "position:absolute;width:1px;height:1px;padding:0;margin:-1px;" +
      "overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0");
    live.setAttribute("role", "status");
    live.setAttribute("aria-live", "polite");
    live.setAttribute("aria-atomic", "true");
    // Outside Chainlit's React root so re-renders never remove it.
    (isChainlitPage ? document.body : scope).appendChild(live);
    return live;
  }

  function announce(text) {
    var region = liveRegion();
    region.textContent = "";
    // A fresh text node after a tick so every announcement is read, even a repeated one.
    setTimeout(function () { region.textContent = text; }, 100);
  }

  function messageList() {
    var step = scope.querySelector('[data-step-type]');
    return step ? step.parentElement : null;
  }

  function lastAnswerText() {
    var steps = scope.querySelectorAll('[data-step-type="assistant_message"]');
    if (!steps.length) return "";
    var content = steps[steps.length - 1].querySelector(".message-content");
    var text = (content || steps[steps.length - 1]).innerText || "";
    text = text.replace(/\s+\n/g, "\n").trim();
    return text.length > 3000 ? text.slice(0, 3000) + "…" : text;
  }

  var running = false;
  function trackRun() {
    var isRunning = !!scope.querySelector("#stop-button");
    var list = messageList();
    if (list) {
      if (!list.getAttribute("role")) list.setAttribute("role", "log");
      if (!list.getAttribute("aria-label")) list.setAttribute("aria-label", "Conversation");
      // role=log is implicitly polite; we announce ourselves, so keep it quiet.
      list.setAttribute("aria-live", "off");
      list.setAttribute("aria-busy", isRunning ? "true" : "false");
    }
    if (isRunning && !running) {
      running = true;
      announce(labels.writing);
    } else if (!isRunning && running) {
      running = false;
      var text = lastAnswerText();
      if (text) announce(labels.answerPrefix + text);
    }
  }

  var pending = false;
  function scan() {
    pending = false;
    if (!scope) return;
    try {
      if (isChainlitPage) markLoginPage();
      nameButtons(scope);
      nameOthers();
      trackRun();
    } catch (e) { /* never break the chat */ }
  }

  function schedule() {
    if (pending) return;
    pending = true;
    (window.requestAnimationFrame || setTimeout)(scan);
  }

  var OBSERVE = { childList: true, subtree: true, attributes: true, attributeFilter: ["id", "class", "data-state"] };

  function start() {
    if (isChainlitPage) {
      liveRegion();
      scan();
      new MutationObserver(schedule).observe(document.body, OBSERVE);
      return;
    }
    // Host page: wait for mountChainlitWidget to create the widget's shadow root.
    var waiting = new MutationObserver(attachWidget);
    waiting.observe(document.body, { childList: true });
    attachWidget();
    function attachWidget() {
      var host = document.getElementById("chainlit-copilot");
      if (!host || !host.shadowRoot || scope) return;
      waiting.disconnect();
      scope = host.shadowRoot;
      liveRegion();
      scan();
      new MutationObserver(schedule).observe(scope, OBSERVE);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
