/* OCR web page: upload an image or PDF, draw the line boxes, list the text.
   Plain browser JavaScript, no libraries. Every piece of server text goes into the DOM
   through textContent (or an SVG <title>'s textContent), never through innerHTML. */
(function () {
  "use strict";

  var API_URL = "api/v1/ocr";  // relative: the page may be served under a stage (/prod/)
  var KEY_STORAGE = "ocr.apiKey";
  var MODE_STORAGE = "ocr.mode";
  var SVG_NS = "http://www.w3.org/2000/svg";

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    fileInput: $("file-input"),
    dropZone: $("drop-zone"),
    fileName: $("file-name"),
    mode: $("mode"),
    apiKey: $("api-key"),
    toggleKey: $("toggle-key"),
    rerun: $("rerun"),
    busy: $("busy"),
    cancel: $("cancel"),
    error: $("error"),
    errorStatus: $("error-status"),
    errorCode: $("error-code"),
    errorMessage: $("error-message"),
    errorRequest: $("error-request"),
    result: $("result"),
    overlay: $("overlay"),
    lines: $("lines"),
    noText: $("no-text"),
    resultText: $("result-text"),
    elapsed: $("elapsed"),
    model: $("model"),
    lineCount: $("line-count"),
    requestId: $("request-id"),
    copy: $("copy"),
    copyStatus: $("copy-status"),
    download: $("download"),
    downloads: $("downloads"),
    downloadStatus: $("download-status"),
    pageNav: $("page-nav"),
    pagePrev: $("page-prev"),
    pageNext: $("page-next"),
    pageNumber: $("page-number"),
    pageTotal: $("page-total"),
    pageStatus: $("page-status")
  };

  var state = {
    file: null,        // the last file chosen
    objectUrl: null,   // its preview URL
    data: null,        // the last successful response
    controller: null,  // AbortController of the request in flight
    figures: [],       // one <figure> per page of the result
    current: 0         // the index of the page shown
  };

  /* ---------- storage (localStorage can throw in private modes) ---------- */

  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try {
      if (value) { window.localStorage.setItem(key, value); }
      else { window.localStorage.removeItem(key); }
    } catch (e) { /* storage unavailable: the value just isn't remembered */ }
  }

  /* ---------- small helpers ---------- */

  function setText(el, text) { el.textContent = text == null ? "" : String(text); }

  function isPdf(file) {
    return !!file && (file.type === "application/pdf" || /\.pdf$/i.test(file.name || ""));
  }

  // A PDF or a TIFF: the browser cannot show its pages, so the API sends an image of each
  // page as it read it (page_images), which the boxes lie on.
  function needsPageImages(file) {
    return isPdf(file) || (!!file && (file.type === "image/tiff" || /\.tiff?$/i.test(file.name || "")));
  }

  function baseName() {
    return (state.file && state.file.name ? state.file.name : "ocr").replace(/\.[^.]*$/, "") || "ocr";
  }

  function apiHeaders() {
    var key = els.apiKey.value.trim();
    return key ? { "x-api-key": key } : {};
  }

  function formatSeconds(value) {
    var n = Number(value);
    if (!isFinite(n)) { return "?"; }
    return n < 10 ? n.toFixed(2) : n.toFixed(1);
  }

  function formatConfidence(value) {
    var n = Number(value);
    if (!isFinite(n)) { return "–"; }
    return (n * 100).toFixed(1) + "%";
  }

  function pointsAttr(box) {
    if (!Array.isArray(box)) { return ""; }
    var out = [];
    for (var i = 0; i < box.length; i++) {
      var p = box[i];
      if (Array.isArray(p) && p.length >= 2 && isFinite(Number(p[0])) && isFinite(Number(p[1]))) {
        out.push(Number(p[0]) + "," + Number(p[1]));
      }
    }
    return out.join(" ");
  }

  function positive(n) {
    n = Number(n);
    return isFinite(n) && n > 0 ? n : 0;
  }

  /* ---------- busy / error ---------- */

  function setBusy(on) {
    els.busy.hidden = !on;
    els.dropZone.classList.toggle("busy-zone", on);
    els.dropZone.setAttribute("aria-busy", on ? "true" : "false");
    els.rerun.disabled = on || !state.file;
    els.result.setAttribute("aria-busy", on ? "true" : "false");
  }

  function hideError() {
    els.error.hidden = true;
    setText(els.errorStatus, "");
    setText(els.errorCode, "");
    setText(els.errorMessage, "");
    setText(els.errorRequest, "");
  }

  var HINTS = {
    401: "请检查 API 密钥 · Check the API key.",
    403: "请检查 API 密钥 · Check the API key.",
    413: "文件太大，请使用异步任务接口 · The file is too large for this page; use the async jobs API.",
    415: "不支持的文件类型 · This file type is not supported.",
    429: "请求太多，请稍后再试 · Too many requests; try again shortly."
  };

  function showError(status, code, message, requestId) {
    setText(els.errorStatus, status ? "HTTP " + status : "");
    setText(els.errorCode, code || "error");
    var text = message || "";
    if (HINTS[status] && text.indexOf("async") === -1) {
      text = text ? text + " — " + HINTS[status] : HINTS[status];
    } else if (!text && HINTS[status]) {
      text = HINTS[status];
    }
    setText(els.errorMessage, text);
    setText(els.errorRequest, requestId ? "请求编号 Request ID: " + requestId : "");
    els.error.hidden = false;
  }

  /* ---------- request ---------- */

  function chooseFile(file) {
    if (!file) { return; }
    state.file = file;
    if (state.objectUrl) { URL.revokeObjectURL(state.objectUrl); }
    state.objectUrl = URL.createObjectURL(file);
    setText(els.fileName, file.name || "clipboard image");
    els.fileName.hidden = false;
    submit();
  }

  function submit() {
    var file = state.file;
    if (!file) { return; }
    if (state.controller) { state.controller.abort(); }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    state.controller = controller;

    var form = new FormData();
    form.append("image", file, file.name || "image");
    form.append("mode", els.mode.value);
    if (needsPageImages(file)) { form.append("page_images", "true"); }
    var headers = apiHeaders();

    hideError();
    setBusy(true);
    var started = (window.performance && performance.now) ? performance.now() : Date.now();

    fetch(API_URL, {
      method: "POST",
      body: form,
      headers: headers,
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (body) {
        var json = null;
        try { json = body ? JSON.parse(body) : null; } catch (e) { json = null; }
        return { response: response, json: json, body: body };
      });
    }).then(function (r) {
      if (state.controller !== controller) { return; } // superseded by a newer request
      var total = ((window.performance && performance.now) ? performance.now() : Date.now()) - started;
      var json = r.json;
      if (r.response.ok && json && json.success === true) {
        render(json, file, total / 1000);
        return;
      }
      if (json && json.error) {
        showError(r.response.status, json.error.code, json.error.message, json.request_id);
      } else {
        var snippet = (r.body || "").replace(/\s+/g, " ").trim().slice(0, 200);
        showError(r.response.status, r.response.ok ? "bad_response" : "http_error",
                  snippet || r.response.statusText || "服务器返回了无法识别的响应 Unexpected response from the server.",
                  r.response.headers.get("x-request-id"));
      }
    }).catch(function (err) {
      if (state.controller !== controller) { return; }
      if (err && err.name === "AbortError") {
        showError(0, "cancelled", "已取消 Cancelled.", null);
      } else {
        showError(0, "network_error",
                  "无法连接服务器 Could not reach the server" + (err && err.message ? ": " + err.message : "."), null);
      }
    }).then(function () {
      if (state.controller === controller) {
        state.controller = null;
        setBusy(false);
      }
    });
  }

  /* ---------- rendering ---------- */

  // The response's pages: [{page, width, height, lines, image, src}], each line carrying its
  // global index (the index into the response's top-level `lines`). A page is drawn over the
  // image the API sent of it (page_images: PDF and TIFF pages) or, for a single image, over
  // the uploaded file; without either it is a blank sheet with the text in its boxes.
  function pagesOf(data) {
    var index = 0;
    return data.pages.map(function (p) {
      var sent = typeof p.image === "string" && p.image.indexOf("data:image/") === 0 ? p.image : null;
      return {
        page: p.number,
        width: positive(p.width),
        height: positive(p.height),
        image: data.pages.length === 1,
        src: sent,
        lines: p.lines.map(function (l) { return { line: l, index: index++ }; })
      };
    });
  }

  // On a blank sheet (PDF page) write the line's text into its box, so the page reads.
  function boxLabel(line) {
    var xs = [], ys = [];
    (Array.isArray(line.box) ? line.box : []).forEach(function (pt) {
      if (Array.isArray(pt) && isFinite(Number(pt[0])) && isFinite(Number(pt[1]))) {
        xs.push(Number(pt[0]));
        ys.push(Number(pt[1]));
      }
    });
    var label = document.createElementNS(SVG_NS, "text");
    label.setAttribute("class", "box-label");
    label.textContent = String(line.text == null ? "" : line.text);
    if (!xs.length) { return label; }
    var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
    var y0 = Math.min.apply(null, ys), y1 = Math.max.apply(null, ys);
    var w = Math.max(1, x1 - x0), h = Math.max(1, y1 - y0);
    var size = h * 0.72;
    if (h > w * 1.5) {
      // a vertical line of text: a small rotated label along the box
      label.setAttribute("transform", "translate(" + (x0 + w * 0.78) + " " + y0 + ") rotate(90)");
      size = w * 0.72;
      label.setAttribute("x", "0");
      label.setAttribute("y", "0");
      label.setAttribute("textLength", String(h));
    } else {
      label.setAttribute("x", String(x0));
      label.setAttribute("y", String(y0 + h * 0.78));
      label.setAttribute("textLength", String(w));
    }
    label.setAttribute("font-size", String(size));
    label.setAttribute("lengthAdjust", "spacingAndGlyphs");
    return label;
  }

  function render(data, file, totalSeconds) {
    state.data = data;
    var pages = pagesOf(data);
    var multi = pages.length > 1;

    // Boxes over the image (or over blank sheets for documents).
    els.overlay.replaceChildren();
    state.figures = [];
    pages.forEach(function (p) {
      var figure = document.createElement("figure");
      figure.className = "sheet";
      figure.style.aspectRatio = p.width + " / " + p.height;
      // Never wider than the column or than the image itself (small images are not
      // blown up), and a tall page is narrowed to fit about one screen height.
      figure.style.width = "min(100%, " + Math.max(p.width, 240) + "px, max(320px, calc(90vh * " +
        (p.width / p.height).toFixed(4) + ")))";

      var src = p.src || (p.image && state.objectUrl && !needsPageImages(file) ? state.objectUrl : null);
      if (src) {
        var img = document.createElement("img");
        img.src = src;
        var name = file && file.name ? file.name : "uploaded image";
        img.alt = multi || p.src ? "第 " + p.page + " 页 Page " + p.page + " of " + name : name;
        img.addEventListener("error", function () {
          // e.g. TIFF: the browser cannot show it; keep the blank sheet with the boxes.
          img.remove();
          figure.classList.add("blank");
        });
        figure.appendChild(img);
      } else {
        figure.classList.add("blank");
      }

      var svg = document.createElementNS(SVG_NS, "svg");
      svg.setAttribute("class", "boxes");
      svg.setAttribute("viewBox", "0 0 " + p.width + " " + p.height);
      svg.setAttribute("preserveAspectRatio", "none");
      svg.setAttribute("role", "img");
      svg.setAttribute("aria-label", "文字框 Text boxes" + (multi ? " — 第 " + p.page + " 页 page " + p.page : ""));
      p.lines.forEach(function (item) {
        var poly = document.createElementNS(SVG_NS, "polygon");
        poly.setAttribute("class", "box");
        poly.setAttribute("data-index", String(item.index));
        poly.setAttribute("points", pointsAttr(item.line.box));
        var title = document.createElementNS(SVG_NS, "title");
        title.textContent = String(item.line.text == null ? "" : item.line.text);
        poly.appendChild(title);
        svg.appendChild(poly);
        if (figure.classList.contains("blank")) { svg.appendChild(boxLabel(item.line)); }
      });
      figure.appendChild(svg);

      if (multi || !p.image || isPdf(file)) {
        var caption = document.createElement("figcaption");
        setText(caption, "第 " + p.page + " 页 Page " + p.page + " · " + p.width + "×" + p.height);
        figure.appendChild(caption);
      }
      figure.setAttribute("data-page", String(p.page));
      figure.hidden = state.figures.length > 0;  // one page at a time: the first
      els.overlay.appendChild(figure);
      state.figures.push(figure);
    });
    state.current = 0;
    els.pageNav.hidden = !multi;
    els.pageNumber.max = String(pages.length);
    setText(els.pageTotal, "/ " + pages.length);
    showPage(0, false);

    // The line list.
    els.lines.replaceChildren();
    var count = 0;
    pages.forEach(function (p) {
      p.lines.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "line";
        li.setAttribute("data-index", String(item.index));
        li.tabIndex = 0;
        var conf = Number(item.line.confidence);
        if (isFinite(conf) && conf < 0.8) { li.classList.add("low"); }

        if (multi) {
          var pg = document.createElement("span");
          pg.className = "page-badge";
          setText(pg, "P" + p.page);
          li.appendChild(pg);
        }
        var text = document.createElement("span");
        text.className = "line-text";
        setText(text, item.line.text);
        li.appendChild(text);
        var c = document.createElement("span");
        c.className = "conf";
        c.title = "置信度 Confidence";
        setText(c, formatConfidence(item.line.confidence));
        li.appendChild(c);
        els.lines.appendChild(li);
        count++;
      });
    });
    els.noText.hidden = count > 0;

    var fullText = typeof data.text === "string" ? data.text : "";
    setText(els.resultText, fullText.replace(/\f/g, "\n\n"));

    var elapsed = "耗时 Time: " + formatSeconds(data.elapsed_time) + " s";
    if (isFinite(totalSeconds)) { elapsed += " (往返 round trip " + formatSeconds(totalSeconds) + " s)"; }
    setText(els.elapsed, elapsed);
    var model = data.model || {};
    setText(els.model, "模型 Model: " + ([model.name, model.version].filter(Boolean).join(" ") || "?"));
    setText(els.lineCount, "行数 Lines: " + count + (multi ? " · 页数 Pages: " + pages.length : ""));
    setText(els.requestId, data.request_id ? "请求编号 Request ID: " + data.request_id : "");
    setText(els.copyStatus, "");
    setText(els.downloadStatus, "");

    els.result.hidden = false;
  }

  /* ---------- page navigation (a document shows one page at a time) ---------- */

  function showPage(i, announce) {
    var n = state.figures.length;
    if (!n) { return; }
    i = Math.max(0, Math.min(n - 1, i));
    state.current = i;
    state.figures.forEach(function (fig, k) { fig.hidden = k !== i; });
    els.pageNumber.value = String(i + 1);
    els.pagePrev.disabled = i === 0;
    els.pageNext.disabled = i === n - 1;
    var page = state.figures[i].getAttribute("data-page");
    if (announce) { setText(els.pageStatus, "第 " + page + " 页 Page " + page + " (" + (i + 1) + " / " + n + ")"); }
  }

  els.pagePrev.addEventListener("click", function () { showPage(state.current - 1, true); });
  els.pageNext.addEventListener("click", function () { showPage(state.current + 1, true); });
  els.pageNumber.addEventListener("change", function () {
    var i = parseInt(els.pageNumber.value, 10);
    showPage(isFinite(i) ? i - 1 : state.current, true);
  });
  els.pageNumber.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      e.preventDefault();
      var i = parseInt(els.pageNumber.value, 10);
      showPage(isFinite(i) ? i - 1 : state.current, true);
    }
  });

  // The figure that holds line `index`'s box, shown if it is another page's.
  function revealBox(index) {
    var box = els.overlay.querySelector('.box[data-index="' + CSS.escape(index) + '"]');
    var fig = box && box.closest("figure");
    var k = fig ? state.figures.indexOf(fig) : -1;
    if (k >= 0 && k !== state.current) { showPage(k, true); }
    return fig;
  }

  /* ---------- linked highlighting ---------- */

  var active = null;

  function highlight(index) {
    if (active === index) { return; }
    clearHighlight();
    if (index == null) { return; }
    active = index;
    var sel = '[data-index="' + CSS.escape(index) + '"]';
    els.lines.querySelectorAll(".line" + sel).forEach(function (el) { el.classList.add("active"); });
    els.overlay.querySelectorAll(".box" + sel).forEach(function (el) { el.classList.add("active"); });
  }

  function clearHighlight() {
    if (active == null) { return; }
    document.querySelectorAll(".line.active, .box.active").forEach(function (el) {
      el.classList.remove("active");
    });
    active = null;
  }

  function indexFrom(target, cls) {
    var el = target && target.closest ? target.closest("." + cls) : null;
    return el ? el.getAttribute("data-index") : null;
  }

  els.lines.addEventListener("mouseover", function (e) { highlight(indexFrom(e.target, "line")); });
  els.lines.addEventListener("mouseleave", clearHighlight);
  els.lines.addEventListener("focusin", function (e) {
    var i = indexFrom(e.target, "line");
    if (i != null) { revealBox(i); }
    highlight(i);
  });
  els.lines.addEventListener("focusout", clearHighlight);
  els.lines.addEventListener("click", function (e) {
    var i = indexFrom(e.target, "line");
    if (i == null) { return; }
    var fig = revealBox(i);
    highlight(i);
    if (fig && fig.scrollIntoView) { fig.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
  });

  els.overlay.addEventListener("mouseover", function (e) {
    var i = indexFrom(e.target, "box");
    if (i == null) { clearHighlight(); } else { highlight(i); }
  });
  els.overlay.addEventListener("mouseleave", clearHighlight);
  els.overlay.addEventListener("click", function (e) {
    var i = indexFrom(e.target, "box");
    if (i == null) { return; }
    highlight(i);
    var li = els.lines.querySelector('.line[data-index="' + CSS.escape(i) + '"]');
    if (li && li.scrollIntoView) { li.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
  });

  /* ---------- copy / download ---------- */

  function copyFallback(text) {
    var ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.top = "0";
    ta.style.left = "0";
    ta.style.width = "1px";
    ta.style.height = "1px";
    ta.style.opacity = "0";
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  function reportCopy(ok) {
    setText(els.copyStatus, ok ? "已复制 Copied" : "复制失败，请手动选择文字 Copy failed; select the text by hand");
  }

  els.copy.addEventListener("click", function () {
    var text = state.data && typeof state.data.text === "string" ? state.data.text : "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { reportCopy(true); },
                                               function () { reportCopy(copyFallback(text)); });
    } else {
      reportCopy(copyFallback(text));
    }
  });

  function saveBlob(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  els.download.addEventListener("click", function () {
    if (!state.data) { return; }
    // the API's JSON answer as it is without page_images: the page images stay out
    var plain = JSON.parse(JSON.stringify(state.data));
    (plain.pages || []).forEach(function (p) { delete p.image; });
    saveBlob(new Blob([JSON.stringify(plain, null, 2)], { type: "application/json" }), baseName() + ".ocr.json");
  });

  // The other formats come from the API itself (format=...), for the same file, mode and
  // key: the file is sent again and read again (the page keeps no result on the server).
  els.downloads.addEventListener("click", function (e) {
    var button = e.target && e.target.closest ? e.target.closest("button[data-format]") : null;
    if (!button || !state.file || button.disabled) { return; }
    var format = button.getAttribute("data-format");
    var label = button.textContent;
    var form = new FormData();
    form.append("image", state.file, state.file.name || "image");
    form.append("mode", els.mode.value);
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    setText(els.downloadStatus, "正在生成 Preparing " + label + "…");
    fetch(API_URL + "?format=" + encodeURIComponent(format), { method: "POST", body: form, headers: apiHeaders() })
      .then(function (response) {
        if (!response.ok) {
          return response.text().then(function (body) {
            var json = null;
            try { json = JSON.parse(body); } catch (err) { json = null; }
            var error = json && json.error ? json.error : { code: "http_error", message: response.statusText };
            showError(response.status, error.code, error.message, json && json.request_id);
            setText(els.downloadStatus, "下载失败 Download failed: " + label);
          });
        }
        return response.blob().then(function (blob) {
          // the blob keeps the answer's Content-Type (application/pdf, text/html, ...)
          saveBlob(blob, baseName() + button.getAttribute("data-suffix"));
          setText(els.downloadStatus, "已下载 Downloaded " + label);
        });
      })
      .catch(function (err) {
        setText(els.downloadStatus, "下载失败 Download failed: " + (err && err.message ? err.message : label));
      })
      .then(function () {
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });

  /* ---------- inputs ---------- */

  els.fileInput.addEventListener("change", function () {
    var file = els.fileInput.files && els.fileInput.files[0];
    if (file) { chooseFile(file); }
    els.fileInput.value = ""; // choosing the same file again fires change again
  });

  els.dropZone.addEventListener("click", function (e) {
    if (e.target !== els.fileInput) { els.fileInput.click(); }
  });
  els.dropZone.addEventListener("keydown", function (e) {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      els.fileInput.click();
    }
  });

  var dragDepth = 0;
  els.dropZone.addEventListener("dragenter", function (e) {
    e.preventDefault();
    dragDepth++;
    els.dropZone.classList.add("dragging");
  });
  els.dropZone.addEventListener("dragover", function (e) {
    e.preventDefault();
    if (e.dataTransfer) { e.dataTransfer.dropEffect = "copy"; }
  });
  els.dropZone.addEventListener("dragleave", function () {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) { els.dropZone.classList.remove("dragging"); }
  });
  els.dropZone.addEventListener("drop", function (e) {
    e.preventDefault();
    dragDepth = 0;
    els.dropZone.classList.remove("dragging");
    var files = e.dataTransfer && e.dataTransfer.files;
    if (files && files.length) { chooseFile(files[0]); }
  });
  // A file dropped beside the zone should not make the browser navigate away.
  window.addEventListener("dragover", function (e) { e.preventDefault(); });
  window.addEventListener("drop", function (e) { e.preventDefault(); });

  document.addEventListener("paste", function (e) {
    var items = e.clipboardData && e.clipboardData.items;
    if (!items) { return; }
    for (var i = 0; i < items.length; i++) {
      if (items[i].kind === "file") {
        var f = items[i].getAsFile();
        if (f) { chooseFile(f); e.preventDefault(); return; }
      }
    }
  });

  els.rerun.addEventListener("click", submit);
  $("settings").addEventListener("submit", function (e) { e.preventDefault(); });
  els.cancel.addEventListener("click", function () {
    if (state.controller) { state.controller.abort(); }
  });

  var savedMode = load(MODE_STORAGE);
  if (savedMode && Array.prototype.some.call(els.mode.options, function (o) { return o.value === savedMode; })) {
    els.mode.value = savedMode;
  }
  els.mode.addEventListener("change", function () { save(MODE_STORAGE, els.mode.value); });

  var savedKey = load(KEY_STORAGE);
  if (savedKey) { els.apiKey.value = savedKey; }
  els.apiKey.addEventListener("input", function () { save(KEY_STORAGE, els.apiKey.value.trim()); });

  els.toggleKey.addEventListener("click", function () {
    var show = els.apiKey.type === "password";
    els.apiKey.type = show ? "text" : "password";
    els.toggleKey.setAttribute("aria-pressed", show ? "true" : "false");
    setText(els.toggleKey, show ? "隐藏 Hide" : "显示 Show");
  });
})();
