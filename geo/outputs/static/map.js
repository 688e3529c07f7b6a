/* patrolmap: draws published cells on a Leaflet map from one compact data block.
 *
 * Geometry is stored once and shared by every layer; each layer only holds values per band.
 * Cells are painted on a canvas per layer, batched by colour, so drawing cost grows with the
 * number of cells, not with cells times layers. Every text from the data reaches the page
 * through textContent, never as markup.
 */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("pm-data").textContent);
  var map = L.map("pm-map", {preferCanvas: true, zoomControl: true, zoomSnap: 0.25});
  // fixed drawing order, whatever is switched on when: context under the cells (the cells'
  // canvases sit in Leaflet's overlay pane, 400), then the outline, posts and labels
  [["pm-context", 350], ["pm-lang", 420], ["pm-area", 450], ["pm-posts", 460], ["pm-suggested", 470],
   ["pm-labels", 480]].forEach(function (pane) {
    map.createPane(pane[0]).style.zIndex = pane[1];
  });
  map.getPane("pm-labels").style.pointerEvents = "none";
  if (D.tiles) {
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19, attribution: "&copy; OpenStreetMap contributors"}).addTo(map);
  }
  if (D.context) {
    D.context.attribution.forEach(function (text) {
      // as text, never markup: the attribution control takes HTML
      var span = el("span", null, text);
      map.attributionControl.addAttribution(span.innerHTML);
    });
  }
  L.control.scale().addTo(map);
  // the first view: the whole area, clear of the title (top) and the controls (right)
  function fitView(printing) {
    var wide = map.getContainer().clientWidth >= 700;
    var padding = !wide ? {paddingTopLeft: [8, 70], paddingBottomRight: [8, 8]}
      : printing ? {paddingTopLeft: [10, 70], paddingBottomRight: [260, 10]}
      : {paddingTopLeft: [20, 80], paddingBottomRight: [300, 20]};
    padding.animate = false;
    map.fitBounds(D.view, padding);
  }
  fitView(false);
  var S = {lang: D.lang, band: D.bands[0].key, month: 0};  // month 0: the whole period
  var HIDDEN = -1, NOT_SHOWN = -2;
  var opened = false;  // whether the first view has been drawn (by the first refresh)
  var NO_DATA = D.layers.rates ? D.layers.rates.no_data_colour : null;

  // ------------------------------------------------------------ text
  // with a count, the form of its CLDR plural category ("key#one", "key#few") where there is
  // one: the browser's Intl.PluralRules holds the same CLDR rules as Babel
  function tr(key, fields, count) {
    var table = D.i18n[S.lang] || {};
    if (count !== undefined && window.Intl && Intl.PluralRules) {
      var form = key + "#" + new Intl.PluralRules(S.lang).select(count);
      if (table[form] !== undefined) { key = form; }
    }
    var text = table[key] !== undefined ? table[key] : (D.i18n.en[key] !== undefined ? D.i18n.en[key] : key);
    if (fields) {
      Object.keys(fields).forEach(function (name) {
        text = text.split("{" + name + "}").join(String(fields[name]));
      });
    }
    return text;
  }
  function percent(value) { return value === null ? "–" : value + " %"; }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function bandLabel(band) {
    var name = band.label_key ? tr(band.label_key) : band.key;
    return band.hours ? name + " (" + band.hours + ")" : name;
  }
  function fmt(n) {  // CLDR number formats, as Babel writes them in the report
    return Number(n).toLocaleString(S.lang === "en" ? "en-GB" : S.lang, {maximumFractionDigits: 1});
  }

  // ------------------------------------------------------------ numbers, decoded once
  // per-cell whole numbers come as plain lists or, on a large map, as one string each: a head
  // (a base, and whether the values are signed distances from it or distances above it), then
  // the values, in base-64 digits of five value bits and a "more follows" bit, lowest first,
  // "." for none, "~" n for n more of the last (geo/privacy/_page_numbers.py writes them)
  var DIGIT = new Int8Array(128).fill(-1);
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("").forEach(
    function (ch, i) { DIGIT[ch.charCodeAt(0)] = i; });
  function ints(packed) {
    if (typeof packed !== "string") { return packed; }
    function signed(n) { return n % 2 ? -(n + 1) / 2 : n / 2; }
    var out = [], value = 0, place = 1, base = null, zigzag = false, repeat = false;
    for (var p = 0; p < packed.length; p++) {
      var code = packed.charCodeAt(p);
      if (code === 46) { out.push(null); continue; }
      if (code === 126) { repeat = true; continue; }  // "~": the last value, n more times
      var digit = DIGIT[code];
      value += (digit & 31) * place;
      if (digit & 32) { place *= 32; continue; }
      if (base === null) {
        zigzag = value % 2 === 1;
        base = signed((value - (value % 2)) / 2);
      } else if (repeat) {
        for (var r = 0, last = out[out.length - 1]; r < value; r++) { out.push(last); }
        repeat = false;
      } else {
        out.push(base + (zigzag ? signed(value) : value));
      }
      value = 0; place = 1;
    }
    return out;
  }
  // each list is decoded when it is first read (the first view reads one band of one layer),
  // and the rest soon after the first view is drawn, a list at a time (see warmUp below)
  var later = [];  // lists and tables not needed by the first view, to be made when idle
  function decodeOnUse(holder, key) {
    var packed = holder[key];
    if (typeof packed !== "string") { return; }
    Object.defineProperty(holder, key, {configurable: true, enumerable: true, get: function () {
      var value = ints(packed);
      Object.defineProperty(holder, key, {value: value, writable: true, enumerable: true});
      return value;
    }});
    later.push(function () { return holder[key]; });
  }
  ["incidents", "presence", "visits", "rates"].forEach(function (name) {
    var layer = D.layers[name];
    if (layer) { Object.keys(layer.values).forEach(function (b) { decodeOnUse(layer.values, b); }); }
    if (layer && layer.months) {
      Object.keys(layer.months.values).forEach(function (b) {
        layer.months.values[b].forEach(function (_, j) { decodeOnUse(layer.months.values[b], j); });
      });
    }
  });
  if (D.layers.rates) { decodeOnUse(D.layers.rates, "residents"); }
  if (D.context && D.context.near) { decodeOnUse(D.context, "near"); }

  // ------------------------------------------------------------ geometry, decoded once
  var G = D.geom, N = G.n, SCALE = G.scale;
  // per cell, its centre and its vertices projected at zoom 0: cell i's x, y pairs are
  // px0[ringStart[i]] up to px0[ringStart[i + 1]], all cells in one typed array
  var cx = new Float64Array(N), cy = new Float64Array(N), ringStart = new Int32Array(N + 1), px0;
  // Leaflet's Web Mercator (EPSG:3857, the map's CRS) at zoom 0, written out so that the
  // vertices of 100,000 cells are projected without an object per vertex
  var PROJECT_LAT_MAX = 85.0511287798, RAD = Math.PI / 180;
  function projectX(lng) { return 256 * (0.5 + lng / 360); }
  function projectY(lat) {
    var sin = Math.sin(Math.max(Math.min(lat, PROJECT_LAT_MAX), -PROJECT_LAT_MAX) * RAD);
    return 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
  }
  (function decodeCells() {
    // a hexagon's vertex offsets are a template that follows the centre's position, in whole
    // numbers (slopes of 2^-30), plus twelve deviations of -1, 0 or 1 packed in base 3; other
    // cells come whole
    var centres = ints(G.c), packed = ints(G.v), HALF = Math.pow(2, 29), STEP = Math.pow(2, 30);
    var T = G.tpl.length, offsets = new Array(T), lat = 0, lng = 0, v = 0, at = 0;
    var wholeLength = 0, whole = Object.keys(G.x);
    whole.forEach(function (key) { wholeLength += G.x[key].length; });
    px0 = new Float64Array((N - whole.length) * T + wholeLength);
    for (var i = 0; i < N; i++) {
      lat += centres[2 * i]; lng += centres[2 * i + 1];
      var cell = G.x[i], count = T;
      if (cell !== undefined) {
        count = cell.length;
        for (var w = 0; w < count; w++) { offsets[w] = cell[w]; }
      } else {
        var code = packed[v++], dlat = lat - G.ref[0], dlng = lng - G.ref[1];
        for (var j = 0; j < T; j++) {
          var deviation = code % 3;
          code = (code - deviation) / 3;
          offsets[j] = G.tpl[j] + deviation - 1 +
            Math.floor((G.slope[2 * j] * dlat + G.slope[2 * j + 1] * dlng + HALF) / STEP);
        }
      }
      ringStart[i] = at;
      for (var q = 0; q < count; q += 2) {
        px0[at] = projectX((lng + offsets[q + 1]) / SCALE);
        px0[at + 1] = projectY((lat + offsets[q]) / SCALE);
        at += 2;
      }
      cx[i] = projectX(lng / SCALE); cy[i] = projectY(lat / SCALE);
    }
    ringStart[N] = at;
  })();

  // a grid over cell centres, to find the cell under the pointer: made on the first hover
  // (or when the page is idle after the first view), not before the first view is drawn
  var R = 0;
  (function radius() {
    if (!N) { return; }
    for (var q = ringStart[0]; q < ringStart[1]; q += 2) {
      R = Math.max(R, Math.hypot(px0[q] - cx[0], px0[q + 1] - cy[0]));
    }
  })();
  var grid = null, GRID_ROW = 1e6;  // a key per square of side 2R: column * GRID_ROW + row
  function cellGrid() {
    if (!grid) {
      grid = new Map();
      for (var i = 0; i < N; i++) {
        var key = Math.floor(cx[i] / (2 * R)) * GRID_ROW + Math.floor(cy[i] / (2 * R));
        var list = grid.get(key);
        if (list) { list.push(i); } else { grid.set(key, [i]); }
      }
    }
    return grid;
  }
  later.push(cellGrid);
  function cellAt(latlng) {
    if (!N) { return -1; }
    var ll = L.latLng(latlng), px = projectX(ll.lng), py = projectY(ll.lat), squares = cellGrid();
    var bx = Math.floor(px / (2 * R)), by = Math.floor(py / (2 * R)), best = -1, bestD = Infinity;
    for (var dx = -1; dx <= 1; dx++) {
      for (var dy = -1; dy <= 1; dy++) {
        var list = squares.get((bx + dx) * GRID_ROW + by + dy) || [];
        for (var k = 0; k < list.length; k++) {
          var d = Math.hypot(cx[list[k]] - px, cy[list[k]] - py);
          if (d < bestD) { bestD = d; best = list[k]; }
        }
      }
    }
    return bestD <= R ? best : -1;
  }

  // ------------------------------------------------------------ colours per layer
  function classOf(value, breaks) {
    if (!(value > 0) || !breaks.length) { return -1; }
    for (var i = 0; i < breaks.length; i++) { if (value <= breaks[i]) { return i; } }
    return breaks.length - 1;
  }
  // a layer's class colour of a value, for the band shown; values are divided by ``unit``
  // first (tenths of an hour, hundredths of a rate)
  function classColours(layer, unit) {
    var breaks = layer.breaks[S.band], palette = layer.palette[S.band];
    return function (value) {
      var c = classOf(value / unit, breaks);
      return c < 0 ? null : palette[c];
    };
  }
  // the cells within reach of a post speaking the chosen language, per band: the release's
  // own cell set (a bitmask over the cells, lowest bit first), decoded once per band
  var coveredBits = {};
  function covered(band) {
    if (!coveredBits[band]) {
      var bits = new Uint8Array(N), mask = D.release.spec.areas["covered_lang_" + band];
      if (mask) {
        var raw = atob(mask);
        for (var i = 0; i < N; i++) { bits[i] = (raw.charCodeAt(i >> 3) >> (i & 7)) & 1; }
      }
      coveredBits[band] = bits;
    }
    return coveredBits[band];
  }
  function languageName() {
    var key = "language_" + D.coverage.language;
    return D.i18n.en[key] !== undefined ? tr(key) : D.coverage.language;
  }
  // a layer as drawn now: with a month chosen, that month's values and the classes shared by
  // all its months, where the layer has them for the band; else the whole period
  function hasMonths(name) {
    var layer = D.layers[name];
    return !!(D.months && layer && layer.months && layer.months.values[S.band]);
  }
  function view(name) {
    var layer = D.layers[name];
    if (!S.month || !hasMonths(name)) { return layer; }
    var m = layer.months, v = Object.create(layer);
    v.values = {}; v.breaks = {}; v.palette = {};
    v.values[S.band] = m.values[S.band][S.month - 1];
    v.breaks[S.band] = m.breaks[S.band]; v.palette[S.band] = m.palette[S.band];
    return v;
  }
  // per layer, the colour of cell i (null: not coloured) as the band and month now shown
  // have it: each maker looks its lists up once, so drawing looks up only the cell
  var fills = {
    incidents: function () {
      var layer = view("incidents"), values = layer.values[S.band], colour = classColours(layer, 1);
      return function (i) {
        var v = values[i];
        if (v === HIDDEN) { return layer.suppressed_colour; }
        return v === NOT_SHOWN ? layer.complement_colour : colour(v);
      };
    },
    presence: function () {
      var layer = view("presence"), values = layer.values[S.band], colour = classColours(layer, 10);
      return function (i) { return colour(values[i]); };
    },
    visits: function () {
      var values = D.layers.visits.values[S.band], colour = classColours(D.layers.visits, 1);
      return function (i) { return colour(values[i]); };
    },
    rates: function () {
      var layer = D.layers.rates, values = layer.values[S.band], colour = classColours(layer, 100);
      return function (i) { return values[i] === null ? layer.no_data_colour : colour(values[i]); };
    },
    language: function () {
      var bits = covered(S.band);
      return function (i) { return bits[i] ? D.coverage.colour : null; };
    },
    hotspots: function () {
      var codes = D.layers.hotspots.values[S.band], colours = D.layers.hotspots.colours;
      return function (i) { return colours[String(codes.charCodeAt(i) - 51)] || null; };  // "3": bin 0
    },
    gaps: function () {
      var codes = D.layers.gaps.values[S.band], colours = D.layers.gaps.colours;
      return function (i) { return colours[codes.charCodeAt(i) - 48]; };
    },
    clusters: function () {
      var codes = D.layers.clusters.values[S.band], colours = D.layers.clusters.colours;
      return function (i) { return colours[codes.charCodeAt(i) - 48]; };
    },
    emerging: function () {
      var codes = D.layers.emerging.values, colours = D.layers.emerging.colours;
      return function (i) {
        var code = codes.charCodeAt(i) - 48;
        return code >= 0 ? colours[code] : null;
      };
    }
  };

  // ------------------------------------------------------------ the canvas layer
  // cells under about 4 px across (a whole country at once) are set pixel by pixel rather
  // than filled as paths: each pixel whose centre lies in a cell takes the cell's colour,
  // three quarters opaque as the filled cells are, and a cell too small to hold a pixel's
  // centre sets the pixel under its own. It looks as the filled paths did at that size, and
  // Chromium took about half a second to rasterise 100,000 tiny antialiased rings.
  var RGB = {};  // "#rrggbb" -> [r, g, b]; null for a colour not written so
  function rgbOf(colour) {
    if (RGB[colour] === undefined) {
      var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
      RGB[colour] = m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : null;
    }
    return RGB[colour];
  }
  function cellPixels(ctx, width, height, scale, shiftX, shiftY) {
    var image = ctx.createImageData(width, height), rgba = image.data, xs = [], ys = [];
    function set(x, y, rgb) {
      var o = (y * width + x) * 4;
      rgba[o] = rgb[0]; rgba[o + 1] = rgb[1]; rgba[o + 2] = rgb[2]; rgba[o + 3] = 191;
    }
    return {image: image, stamp: function (i, rgb) {  // cell i, in device pixels
      var n = 0, top = Infinity, bottom = -Infinity, hit = false;
      for (var q = ringStart[i]; q < ringStart[i + 1]; q += 2, n++) {
        xs[n] = px0[q] * scale - shiftX; ys[n] = px0[q + 1] * scale - shiftY;
        top = Math.min(top, ys[n]); bottom = Math.max(bottom, ys[n]);
      }
      var last = Math.min(height - 1, Math.floor(bottom - 0.5));
      for (var y = Math.max(0, Math.ceil(top - 0.5)); y <= last; y++) {
        var yc = y + 0.5, left = Infinity, right = -Infinity;  // the row's span in the cell
        for (var a = 0, b = n - 1; a < n; b = a++) {
          if ((ys[a] > yc) !== (ys[b] > yc)) {
            var xc = xs[a] + (xs[b] - xs[a]) * (yc - ys[a]) / (ys[b] - ys[a]);
            left = Math.min(left, xc); right = Math.max(right, xc);
          }
        }
        var end = Math.min(width - 1, Math.floor(right - 0.5));
        for (var x = Math.max(0, Math.ceil(left - 0.5)); x <= end; x++) { set(x, y, rgb); hit = true; }
      }
      var px = Math.floor(cx[i] * scale - shiftX), py = Math.floor(cy[i] * scale - shiftY);
      if (!hit && px >= 0 && py >= 0 && px < width && py < height) { set(px, py, rgb); }
    }};
  }
  var HexLayer = L.Layer.extend({
    initialize: function (name, pane) { this.name = name; this.pane = pane || "overlayPane"; },
    onAdd: function () {
      this._canvas = el("canvas", "pm-canvas leaflet-zoom-hide");
      map.getPane(this.pane).appendChild(this._canvas);
      map.on("moveend zoomend resize viewreset", this.redraw, this);
      if (opened) { this.redraw(); }  // the layers shown at first are drawn once, by refresh()
    },
    onRemove: function () {
      L.DomUtil.remove(this._canvas);
      map.off("moveend zoomend resize viewreset", this.redraw, this);
    },
    redraw: function () {
      var size = map.getSize(), ratio = window.devicePixelRatio || 1, canvas = this._canvas;
      canvas.width = size.x * ratio; canvas.height = size.y * ratio;
      canvas.style.width = size.x + "px"; canvas.style.height = size.y + "px";
      var topLeft = map.containerPointToLayerPoint([0, 0]);
      L.DomUtil.setPosition(canvas, topLeft);
      var ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      var zoom = map.getZoom(), k = map.options.crs.scale(zoom) / map.options.crs.scale(0);
      var origin = map.getPixelOrigin(), ox = origin.x + topLeft.x, oy = origin.y + topLeft.y;
      var margin = R * k * 2, paths = {}, painted = {}, outline = new Path2D();
      var fill = fills[this.name]();
      // cells under about 4 px across (a whole country at once): their outlines would only
      // grey the map, so none are drawn, and the colour layers' cells are set as pixels
      var outlined = R * k >= 2, overlay = this.pane !== "overlayPane";
      var pixels = outlined || overlay ? null
        : cellPixels(ctx, canvas.width, canvas.height, k * ratio, ox * ratio, oy * ratio);
      // each ring ends by going round to its second vertex again, not with closePath():
      // Chromium's closePath costs time in proportion to the path so far, so closing 100,000
      // rings in one path took tens of seconds; the retraced first edge keeps every corner
      // joined in the outline, and adds nothing to the fill
      function trace(path, i) {
        var first = ringStart[i], end = ringStart[i + 1];
        path.moveTo(px0[first] * k - ox, px0[first + 1] * k - oy);
        for (var q = first + 2; q < end; q += 2) { path.lineTo(px0[q] * k - ox, px0[q + 1] * k - oy); }
        path.lineTo(px0[first] * k - ox, px0[first + 1] * k - oy);
        path.lineTo(px0[first + 2] * k - ox, px0[first + 3] * k - oy);
      }
      for (var i = 0; i < N; i++) {
        var x = cx[i] * k - ox, y = cy[i] * k - oy;
        if (x < -margin || y < -margin || x > size.x + margin || y > size.y + margin) { continue; }
        var colour = fill(i), rgb = pixels && colour && colour !== NO_DATA ? rgbOf(colour) : null;
        if (colour) { painted[colour] = true; }
        if (rgb) { pixels.stamp(i, rgb); }
        else if (colour) { trace(paths[colour] = paths[colour] || new Path2D(), i); }
        if (outlined) { trace(outline, i); }
      }
      if (pixels) { ctx.putImageData(pixels.image, 0, 0); }  // under the cells still as paths
      if (!overlay) {
        ctx.globalAlpha = 0.75;
        Object.keys(paths).forEach(function (colour) {
          // "no data" is hatched grey on its colour, as in the legend, not a pale class
          ctx.fillStyle = colour === NO_DATA ? hatch(ctx, "#9e9e9e", colour) : colour;
          ctx.fill(paths[colour]);
        });
        ctx.globalAlpha = 1;
        ctx.strokeStyle = "rgba(80,80,80,0.55)"; ctx.lineWidth = 0.5; ctx.stroke(outline);
      } else {  // an overlay over the colours: hatched cells with a firm outline
        Object.keys(paths).forEach(function (colour) {
          ctx.fillStyle = hatch(ctx, colour); ctx.fill(paths[colour]);
          ctx.strokeStyle = colour; ctx.lineWidth = 1.6; ctx.stroke(paths[colour]);
        });
      }
      this._painted = Object.keys(painted).sort().join(",");
      canvas.setAttribute("data-colours", this._painted);
    }
  });

  // diagonal lines 6 px apart, on ``background`` or with the colours below showing
  function hatch(ctx, colour, background) {
    var tile = el("canvas"); tile.width = 6; tile.height = 6;
    var t = tile.getContext("2d");
    if (background) { t.fillStyle = background; t.fillRect(0, 0, 6, 6); }
    t.strokeStyle = colour; t.lineWidth = 1.4; t.globalAlpha = 0.8;
    t.beginPath(); t.moveTo(0, 6); t.lineTo(6, 0); t.moveTo(-1, 1); t.lineTo(1, -1);
    t.moveTo(5, 7); t.lineTo(7, 5); t.stroke();
    return ctx.createPattern(tile, "repeat");
  }

  var hexLayers = {};
  ["incidents", "presence", "hotspots", "clusters", "gaps", "emerging", "visits", "rates"]
    .forEach(function (name) { if (D.layers[name]) { hexLayers[name] = new HexLayer(name); } });
  var languageLayer = D.coverage ? new HexLayer("language", "pm-lang") : null;

  // ------------------------------------------------------------ study area and posts
  var areaLayer = L.featureGroup(D.area.map(function (ring) {
    return L.polygon(ring.map(function (p) { return [p[0] / SCALE, p[1] / SCALE]; }), {
      fill: false, color: D.style.area, weight: 2.5, dashArray: "6 4", interactive: false,
      pane: "pm-area"
    });
  }));

  // ------------------------------------------------------------ context: water, streets, landmarks
  var contextLayer = L.featureGroup();
  var contextLabels = [];   // [marker, feature, minimum zoom]
  function ctxName(f) { return (f.ns && f.ns[S.lang]) || f.n; }
  function decodePath(deltas, scale) {
    var out = [], a = 0, b = 0;
    for (var q = 0; q < deltas.length; q += 2) {
      a += deltas[q]; b += deltas[q + 1]; out.push([a / scale, b / scale]);
    }
    return out;
  }
  function halfway(line) {  // the point half the line's length along it
    var total = 0, lengths = [];
    for (var q = 1; q < line.length; q++) {
      var d = Math.hypot(line[q][0] - line[q - 1][0], line[q][1] - line[q - 1][1]);
      lengths.push(d); total += d;
    }
    var left = total / 2;
    for (var r = 0; r < lengths.length; r++) {
      if (left <= lengths[r] && lengths[r] > 0) {
        var f = left / lengths[r], a = line[r], b = line[r + 1];
        return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
      }
      left -= lengths[r];
    }
    return line[line.length - 1];
  }
  function label(latlng, text, cls, minZoom, feature) {
    var node = el("span", "pm-label " + cls, text);
    var marker = L.marker(latlng, {pane: "pm-labels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "pm-label-box", html: node, iconSize: null})});
    marker.addTo(contextLayer);
    contextLabels.push([marker, feature, minZoom, node]);
    return marker;
  }
  // landmarks people name a corner of town by: labelled from the first view on
  var KEY_PLACES = ["worship", "health", "police", "school", "university", "castle",
    "bus_station", "townhall", "square", "museum"];
  var CTX_STYLE = {
    river: {color: "#3d85c6", weight: 5}, stream: {color: "#6fa8dc", weight: 2},
    canal: {color: "#6fa8dc", weight: 2}, major: {color: "#8a8a8a", weight: 3.5},
    minor: {color: "#a8a8a8", weight: 1.8}, synthetic: {color: "#9a9a9a", weight: 2,
      dashArray: "5 4"}
  };
  if (D.context) {
    var CS = D.context.scale;
    D.context.features.forEach(function (f) {
      if (f.a) {
        L.polygon(f.a.map(function (d) { return decodePath(d, CS); }), {pane: "pm-context",
          color: "#6fa8dc", weight: 1, fillColor: "#a4c8ec", fillOpacity: 0.8,
          interactive: false}).addTo(contextLayer);
        if (f.n) { label(L.polygon(f.a.map(function (d) { return decodePath(d, CS); })).getBounds().getCenter(), f.n, "pm-label-water", 14, f); }
      } else if (f.l) {
        var style = CTX_STYLE[f.k] || CTX_STYLE.minor;
        f.l.forEach(function (d) {
          var line = decodePath(d, CS);
          L.polyline(line, {pane: "pm-context", color: style.color, weight: style.weight,
            dashArray: style.dashArray, opacity: 0.9, interactive: false}).addTo(contextLayer);
          if (f.n && line.length > 1) {
            var mid = halfway(line);
            label(mid, f.n, f.g === "water" ? "pm-label-water" : "pm-label-street",
              f.g === "water" ? (f.k === "river" ? 0 : 15) : (f.k === "major" ? 15 : 16), f);
          }
        });
      } else if (f.p) {
        var at = [f.p[0] / CS, f.p[1] / CS];
        L.circleMarker(at, {pane: "pm-context", radius: 3, color: "#555", weight: 1,
          fillColor: "#fff", fillOpacity: 1, interactive: false}).addTo(contextLayer);
        label(at, f.n, "pm-label-landmark pm-kind-" + f.k,
          f.k === "fuel" ? 17 : (KEY_PLACES.indexOf(f.k) >= 0 ? 13 : 15), f);
      }
    });
  }
  // a label is shown from its zoom on, unless it would cover one already placed (rivers
  // first, then the key places, then the rest) or a post's name
  function updateLabels() {
    placeSiteNames();
    if (!map.hasLayer(contextLayer)) { return; }
    var zoom = map.getZoom(), taken = [], size = map.getSize();
    document.querySelectorAll(".pm-label-post, .pm-label-suggested").forEach(function (node) {
      var r = node.getBoundingClientRect();
      taken.push([r.left, r.top, r.right, r.bottom]);
    });
    var box = map.getContainer().getBoundingClientRect();
    contextLabels.slice().sort(function (a, b) { return a[2] - b[2]; }).forEach(function (item) {
      var node = item[3];
      node.textContent = ctxName(item[1]);
      var show = zoom >= item[2];
      if (show) {
        var p = map.latLngToContainerPoint(item[0].getLatLng());
        var w = node.textContent.length * 6.6 + 8, h = 15;
        var left = box.left + p.x + (node.className.indexOf("landmark") >= 0 ? 4 : -w / 2);
        var r = [left, box.top + p.y - h / 2, left + w, box.top + p.y + h / 2];
        show = p.x > -w && p.y > 0 && p.x < size.x + w && p.y < size.y &&
          !taken.some(function (t) { return r[0] < t[2] && t[0] < r[2] && r[1] < t[3] && t[1] < r[3]; });
        if (show) { taken.push(r); }
      }
      node.style.display = show ? "" : "none";
    });
  }
  // posts' and suggested posts' names: each at the first free place around its dot (right,
  // left, above, below, the corners, then farther out with a leader line), clear of the other
  // names, of every dot and of the panels over the map, most important (posts) first
  var NEAR = [[1, 0], [-1, 0], [0, -1], [0, 1], [1.1, -1.1], [-1.1, -1.1], [1.1, 1.1], [-1.1, 1.1]];
  function overlaps(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
  function placeSiteNames() {
    var nodes = Array.prototype.slice.call(
      document.querySelectorAll(".pm-label-post, .pm-label-suggested"));
    if (!nodes.length) { return; }
    var frame = map.getContainer().getBoundingClientRect(), taken = [];
    document.querySelectorAll(".leaflet-control, #pm-note").forEach(function (c) {
      var r = c.getBoundingClientRect();
      if (r.width && r.height) { taken.push([r.left, r.top, r.right, r.bottom]); }
    });
    var at = nodes.map(function (node) {
      var o = node.parentNode.getBoundingClientRect();  // the icon's corner is the dot
      taken.push([o.left - 8, o.top - 8, o.left + 8, o.top + 8]);
      return [o.left, o.top];
    });
    function inside(r) {
      return r[0] >= frame.left && r[1] >= frame.top && r[2] <= frame.right && r[3] <= frame.bottom;
    }
    nodes.forEach(function (node, i) {
      node.style.transform = "none";
      var w = node.offsetWidth, h = node.offsetHeight, gap = 11, px = at[i][0], py = at[i][1];
      var tries = NEAR.map(function (d) { return [d[0], d[1], gap]; });
      for (var ring = 1; ring <= 9; ring++) {
        for (var step = 0; step < 16; step++) {
          var turn = 2 * Math.PI * (step + 0.5 * (ring % 2)) / 16;
          tries.push([Math.cos(turn), Math.sin(turn), gap + ring * 0.9 * h]);
        }
      }
      var best = null, fewest = null;
      for (var k = 0; k < tries.length; k++) {
        var dx = tries[k][0], dy = tries[k][1], far = tries[k][2];
        var x = px + far * dx - (dx > 0.3 ? 0 : dx < -0.3 ? w : w / 2);
        var y = py + far * dy - (dy > 0.3 ? 0 : dy < -0.3 ? h : h / 2);
        var r = [x - 2, y - 2, x + w + 2, y + h + 2];
        var score = [inside(r) ? 0 : 1, taken.filter(function (t) { return overlaps(r, t); }).length];
        if (!score[0] && !score[1]) { best = [x, y, far, r]; break; }
        if (!fewest || score[0] < fewest[0] || (score[0] === fewest[0] && score[1] < fewest[1])) {
          fewest = score; best = [x, y, far, r];
        }
      }
      taken.push(best[3]);
      node.style.transform = "translate(" + (best[0] - px) + "px," + (best[1] - py) + "px)";
      var leader = node.parentNode.querySelector(".pm-leader");
      if (best[2] > 1.5 * gap) {
        if (!leader) { leader = node.parentNode.appendChild(el("span", "pm-leader")); }
        var ex = Math.min(Math.max(px, best[0]), best[0] + w) - px;
        var ey = Math.min(Math.max(py, best[1]), best[1] + h) - py;
        leader.style.width = Math.hypot(ex, ey) + "px";
        leader.style.transform = "rotate(" + Math.atan2(ey, ex) + "rad)";
        leader.style.display = "";
      } else if (leader) {
        leader.style.display = "none";
      }
    });
  }

  map.on("zoomend moveend", updateLabels);
  // a post (or a suggested one): its dashed reach, and a dot that names it on hover, in the
  // ``lines`` that function gives when the name is shown
  function addSite(group, site, colour, lines, heavy, name, staffed) {
    var pane = heavy ? "pm-suggested" : "pm-posts";
    L.circle([site.lat, site.lng], {radius: site.reach, color: colour, weight: heavy ? 2 : 1,
      dashArray: heavy ? "6 4" : "3 4", fillOpacity: staffed ? (heavy ? 0.06 : 0.04) : 0,
      opacity: staffed ? 1 : 0.5, interactive: false, pane: pane}).addTo(group);
    function tip() {
      var box = el("div", "pm-post-tip");
      lines().forEach(function (text, i) { box.appendChild(el(i ? "div" : "b", null, text)); });
      return box;
    }
    L.circleMarker([site.lat, site.lng], {radius: heavy ? 7 : 6, color: staffed ? "#fff" : colour,
      weight: 2, fillColor: staffed ? colour : "#fff", fillOpacity: 1, pane: pane
    }).bindTooltip(tip).addTo(group);
    var node = el("span", "pm-label " + (heavy ? "pm-label-suggested" : "pm-label-post") +
      (staffed ? "" : " pm-hollow"), name);
    L.marker([site.lat, site.lng], {pane: "pm-labels", interactive: false, keyboard: false,
      icon: L.divIcon({className: "pm-label-box pm-label-right", html: node, iconSize: null})
    }).addTo(group);
  }
  // minutes of the day a "HH:MM–HH:MM" (or "HH–HH") span covers, as [start, end) pieces
  function spans(text) {
    var m = /^(\d\d)(?::(\d\d))?–(\d\d)(?::(\d\d))?$/.exec(text || "");
    if (!m) { return null; }
    var a = +m[1] * 60 + (+m[2] || 0), b = +m[3] * 60 + (+m[4] || 0);
    if (a === b || (a === 0 && b === 1440)) { return [[0, 1440]]; }
    return a < b ? [[a, b]] : [[a, 1440], [0, b]];
  }
  function staffedIn(post, band) {
    var p = spans(post.hours), q = spans(band.hours);
    if (!p || !q) { return true; }   // a band of other days, or hours not known: as staffed
    return p.some(function (x) { return q.some(function (y) { return x[0] < y[1] && y[0] < x[1]; }); });
  }
  var postsLayer = L.featureGroup();
  function buildPosts() {
    postsLayer.clearLayers();
    var band = D.bands.filter(function (b) { return b.key === S.band; })[0];
    D.posts.forEach(function (post) {
      var staffed = staffedIn(post, band);
      addSite(postsLayer, post, D.style.post, function () {
        return [post.name, tr("staffed", {hours: post.hours}), tr("post_reach", {m: post.reach})]
          .concat(staffed ? [] : [tr("not_staffed_band")]);
      }, false, post.name, staffed);
    });
  }
  buildPosts();
  function bandOf(key) { return D.bands.filter(function (b) { return b.key === key; })[0]; }
  function suggestedCoverage(site) {
    var band = bandOf(site.band);
    return tr("suggested_coverage", {band: band ? bandLabel(band) : site.band, m: site.reach});
  }
  var suggestedLayer = L.featureGroup();
  function buildSuggested() {
    suggestedLayer.clearLayers();
    D.suggested.forEach(function (site) {
      addSite(suggestedLayer, site, D.style.suggested, function () {
        var lines = [tr("suggested_name", {rank: site.rank}), suggestedCoverage(site),
          percent(site.before) + " → " + percent(site.after)];
        var at = N ? cellAt([site.lat, site.lng]) : -1, place = at >= 0 ? placeNear(at) : null;
        return place ? lines.concat([place]) : lines;
      }, true, "+" + site.rank, true);
    });
  }
  buildSuggested();

  // colour layers are a choice of one (radio buttons), so colours never blend; the rest
  // are overlays drawn in their fixed panes
  var colourLayers = [];  // [name key, layer], in control order
  if (hexLayers.incidents) { colourLayers.push(["layer_incidents", hexLayers.incidents]); }
  if (hexLayers.hotspots) { colourLayers.push(["layer_hotspots", hexLayers.hotspots]); }
  if (hexLayers.clusters) { colourLayers.push(["layer_clusters", hexLayers.clusters]); }
  if (hexLayers.presence) { colourLayers.push(["layer_presence", hexLayers.presence]); }
  if (hexLayers.gaps) { colourLayers.push(["layer_gaps", hexLayers.gaps]); }
  if (hexLayers.emerging) { colourLayers.push(["layer_emerging", hexLayers.emerging]); }
  if (hexLayers.visits) { colourLayers.push(["layer_visits", hexLayers.visits]); }
  if (hexLayers.rates) { colourLayers.push(["layer_rates", hexLayers.rates]); }
  var overlays = [];
  if (D.context) { overlays.push(["layer_context", contextLayer]); }
  if (D.posts.length) { overlays.push(["layer_posts", postsLayer]); }
  if (D.suggested.length) { overlays.push(["layer_suggested", suggestedLayer]); }
  if (languageLayer) { overlays.push(["layer_language", languageLayer]); }  // off at first
  overlays.push(["layer_area", areaLayer]);
  var shown = null;
  D.visible.forEach(function (key) {
    colourLayers.forEach(function (o) {
      if (o[0] === key && !shown) { shown = o; o[1].addTo(map); }
    });
    overlays.forEach(function (o) { if (o[0] === key) { o[1].addTo(map); } });
  });
  if (D.context && D.visible.indexOf("layer_context") < 0) { contextLayer.addTo(map); }

  // ------------------------------------------------------------ panels and controls
  var container = map.getContainer();
  var title = el("div", "pm-panel pm-title"); title.id = "pm-title";
  var note = el("div", "pm-panel pm-note"); note.id = "pm-note";
  var methods = el("div", "pm-panel pm-methods"); methods.id = "pm-methods"; methods.hidden = true;
  var tip = el("div", "pm-panel pm-tip"); tip.id = "pm-tip"; tip.hidden = true;
  [title, note, methods, tip].forEach(function (node) {
    L.DomEvent.disableClickPropagation(node); L.DomEvent.disableScrollPropagation(node);
    container.appendChild(node);
  });
  if (D.meta.restricted) {
    var banner = el("div", "pm-restricted"); banner.id = "pm-restricted";
    container.appendChild(banner);
  }

  var layerControl = null;
  var Switch = L.Control.extend({
    options: {position: "topright"},
    onAdd: function () {
      var box = el("div", "pm-panel pm-switch leaflet-control"); box.id = "pm-switch";
      L.DomEvent.disableClickPropagation(box);
      this.box = box;
      return box;
    }
  });
  var switchBox = new Switch().addTo(map).box;
  var Legends = L.Control.extend({
    options: {position: "topright"},
    onAdd: function () {
      var box = el("div", "pm-panel pm-legends leaflet-control"); box.id = "pm-legends";
      L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
      this.box = box;
      return box;
    }
  });
  var legendControl = new Legends(), legends = legendControl.onAdd();
  legendControl.onAdd = function () { return legends; };
  var Buttons = L.Control.extend({
    options: {position: "topleft"},
    onAdd: function () {
      var box = el("div", "leaflet-bar leaflet-control pm-buttons");
      this.full = el("a", "pm-full"); this.full.href = "#"; this.full.setAttribute("role", "button");
      this.full.appendChild(fullscreenIcon());
      this.info = el("a", "pm-info", "i"); this.info.href = "#"; this.info.setAttribute("role", "button");
      box.appendChild(this.full); box.appendChild(this.info);
      L.DomEvent.on(this.full, "click", function (e) {
        L.DomEvent.preventDefault(e);
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (container.requestFullscreen) { container.requestFullscreen(); }
      });
      L.DomEvent.on(this.info, "click", function (e) {
        L.DomEvent.preventDefault(e); methods.hidden = !methods.hidden;
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    }
  });
  var buttons = new Buttons().addTo(map);
  function fullscreenIcon() {
    var ns = "http://www.w3.org/2000/svg", svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 16 16"); svg.setAttribute("width", "14"); svg.setAttribute("height", "14");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5");
    path.setAttribute("fill", "none"); path.setAttribute("stroke", "#222"); path.setAttribute("stroke-width", "2");
    svg.appendChild(path);
    return svg;
  }

  function renderSwitch() {
    switchBox.textContent = "";
    switchBox.appendChild(el("div", "pm-switch-label", tr("time_of_day")));
    D.bands.forEach(function (band) {
      var button = el("button", band.key === S.band ? "pm-band pm-on" : "pm-band", bandLabel(band));
      button.type = "button"; button.setAttribute("data-band", band.key);
      button.addEventListener("click", function () { S.band = band.key; refresh(); });
      switchBox.appendChild(button);
    });
    switchBox.appendChild(el("div", "pm-switch-label", tr("language")));
    var select = el("select", "pm-lang"); select.id = "pm-lang";
    D.languages.forEach(function (lang) {
      var option = el("option", null, D.language_names[lang]); option.value = lang;
      option.selected = lang === S.lang; select.appendChild(option);
    });
    select.addEventListener("change", function () { S.lang = select.value; refresh(); });
    switchBox.appendChild(select);
    if (D.months) { renderMonths(); }
  }

  // ------------------------------------------------------------ the month slider
  var playing = null;
  function colourShown() {
    var found = null;
    colourLayers.forEach(function (o) { if (map.hasLayer(o[1])) { found = o[0].slice(6); } });
    return found;
  }
  function monthShown() { return hasMonths(colourShown()) ? S.month : 0; }
  function monthLabel(j) { return j ? D.months.labels[S.lang][j - 1] : tr("whole_period"); }
  function stopPlaying() { if (playing) { clearInterval(playing); playing = null; } }
  function setMonth(j) { S.month = j; refresh(); }
  function renderMonths() {
    var name = colourShown(), usable = hasMonths(name);
    var label = el("div", "pm-switch-label pm-month-label", tr("month") + ": " + monthLabel(monthShown()));
    label.id = "pm-month-label";
    var row = el("div", "pm-month-row");
    var play = el("button", "pm-play", playing ? "❚❚" : "▶");
    play.type = "button"; play.id = "pm-play"; play.disabled = !usable;
    play.title = tr(playing ? "month_pause" : "month_play"); play.setAttribute("aria-label", play.title);
    play.addEventListener("click", function () {
      if (playing) { stopPlaying(); refresh(); return; }
      playing = setInterval(function () {
        if (S.month >= D.months.keys.length) { stopPlaying(); }
        setMonth(playing ? S.month + 1 : 0);
      }, 1500);
      setMonth(S.month >= D.months.keys.length ? 1 : S.month + 1);
    });
    var range = el("input", "pm-month-range");
    range.type = "range"; range.id = "pm-month"; range.min = 0; range.max = D.months.keys.length;
    range.step = 1; range.value = monthShown(); range.disabled = !usable;
    range.setAttribute("aria-label", tr("month"));
    range.addEventListener("input", function () { stopPlaying(); setMonth(+range.value); });
    row.appendChild(play); row.appendChild(range);
    switchBox.appendChild(label); switchBox.appendChild(row);
    if (!usable) {
      var why = name === "incidents" && D.layers.incidents.months ? "month_day_only" : "month_whole_only";
      var note_ = el("div", "pm-month-note", tr(why)); note_.id = "pm-month-note";
      switchBox.appendChild(note_);
    }
  }

  function layerName(key) {
    return key === "layer_language" ? tr(key, {language: languageName()}) : tr(key);
  }
  function renderLayerControl() {
    if (layerControl) { map.removeControl(layerControl); }
    var bases = {}, named = {};
    colourLayers.forEach(function (o) { bases[tr(o[0])] = o[1]; });
    overlays.forEach(function (o) { named[layerName(o[0])] = o[1]; });
    var narrow = container.clientWidth < 700;  // on a phone the list opens from an icon
    layerControl = L.control.layers(bases, named, {collapsed: narrow, sortLayers: false,
      position: "topright"}).addTo(map);
    map.removeControl(legendControl);
    legendControl.addTo(map);  // legends stay below the layer list
  }

  function swatch(colour) {
    var s = el("span", "pm-swatch"); s.style.background = colour || "transparent"; return s;
  }
  function legendRow(colour, text) {
    var row = el("div", "pm-row"); row.appendChild(swatch(colour)); row.appendChild(el("span", null, text));
    return row;
  }
  // one row per class, "lower–upper"; ``step`` is the next value after an upper bound (1 for
  // counts, 0.1 for tenths), 0 for a continuous measure whose classes meet at their bounds
  function classLegend(layer, unit, low, step) {
    var rows = [], breaks = layer.breaks[S.band], palette = layer.palette[S.band], lower = low;
    for (var i = 0; i < breaks.length; i++) {
      var upper = breaks[i], text = lower >= upper ? fmt(upper) : fmt(lower) + "–" + fmt(upper);
      rows.push(legendRow(palette[i], text + unit));
      lower = Math.round((upper + step) * 10) / 10;
    }
    return rows;
  }
  var legendMakers = {
    incidents: function () {
      var layer = view("incidents"), rows = classLegend(layer, "", D.meta.k, 1);
      rows.push(legendRow(layer.suppressed_colour, tr("fewer_than", {k: D.meta.k})));
      if (layer.values[S.band].indexOf(NOT_SHOWN) >= 0) {
        rows.push(legendRow(layer.complement_colour, tr("not_shown")));
      }
      rows.push(legendRow(null, "0"));
      return rows;
    },
    presence: function () {
      var rows = classLegend(view("presence"), " " + tr("hours_unit"), 0.1, 0.1);
      rows.push(legendRow(null, "0")); return rows;
    },
    visits: function () {
      var rows = classLegend(D.layers.visits, "", 1, 1);
      rows.push(legendRow(null, "0"));
      rows.push(el("div", "pm-binote", tr("visits_note")));
      return rows;
    },
    rates: function () {
      var rows = classLegend(D.layers.rates, "", 0, 0);
      var none = swatch(D.layers.rates.no_data_colour); none.className += " pm-nodata";
      var row = el("div", "pm-row"); row.appendChild(none); row.appendChild(el("span", null, tr("rate_no_residents")));
      rows.push(row);
      rows.push(el("div", "pm-binote pm-caveat", tr("rate_caveat")));
      return rows;
    },
    language: function () {
      var band = bandOf(S.band), share = D.coverage.share[S.band];
      var mark = swatch("#fff"); mark.className += " pm-hatch";
      mark.style.borderColor = D.coverage.colour; mark.style.color = D.coverage.colour;
      var row = el("div", "pm-row pm-wrap"); row.appendChild(mark);
      row.appendChild(el("span", null, share === null || share === undefined
        ? tr("language_share_hidden", {language: languageName(), band: bandLabel(band)})
        : tr("language_share", {language: languageName(), band: bandLabel(band), share: percent(share)})));
      return [row];
    },
    hotspots: function () {
      return [3, 2, 1, 0, -1, -2, -3].map(function (bin) {
        return legendRow(D.layers.hotspots.colours[String(bin)], tr("hot_" + bin));
      });
    },
    gaps: function () {
      var box = el("div", "pm-bivariate"), gridBox = el("div", "pm-bigrid");
      for (var need = 3; need >= 1; need--) {
        for (var pres = 1; pres <= 3; pres++) {
          var cell = el("span", "pm-bicell"); cell.setAttribute("data-class", need + "-" + pres);
          cell.style.background = D.layers.gaps.colours[(need - 1) * 3 + (pres - 1)];
          gridBox.appendChild(cell);
        }
      }
      var yAxis = el("div", "pm-biy", tr("need") + " →");
      var xAxis = el("div", "pm-bix", tr("presence") + " →");
      box.appendChild(yAxis); box.appendChild(gridBox); box.appendChild(xAxis);
      return [box, el("div", "pm-binote", tr("gap_note")),
        el("div", "pm-binote", tr("gap_presence", {band: bandLabel(bandOf(S.band))}))];
    },
    posts: function () {
      var band = D.bands.filter(function (b) { return b.key === S.band; })[0];
      var rows = [legendRow(D.style.post, tr("post_reach", {m: D.posts[0].reach}))];
      if (D.posts.some(function (p) { return !staffedIn(p, band); })) {
        var hollow = swatch("#fff"); hollow.style.borderColor = D.style.post; hollow.style.borderRadius = "50%";
        var row = el("div", "pm-row"); row.appendChild(hollow); row.appendChild(el("span", null, tr("not_staffed_band")));
        rows.push(row);
      }
      return rows;
    },
    context: function () {
      var rows = [], groups = {};
      D.context.features.forEach(function (f) { groups[f.g === "streets" && f.k === "synthetic" ? "synthetic" : f.g] = true; });
      function lineRow(colour, text, dashed) {
        var row = el("div", "pm-row"), line = el("span", "pm-line");
        line.style.borderTopColor = colour; if (dashed) { line.style.borderTopStyle = "dashed"; }
        row.appendChild(line); row.appendChild(el("span", null, text)); return row;
      }
      if (groups.water) { rows.push(lineRow("#3d85c6", tr("ctx_water"))); }
      if (groups.streets) { rows.push(lineRow("#8a8a8a", tr("ctx_streets"))); }
      if (groups.synthetic) { rows.push(lineRow("#9a9a9a", tr("ctx_synthetic"), true)); }
      if (groups.landmarks) {
        var dot = swatch("#fff"); dot.style.borderRadius = "50%"; dot.style.width = "8px"; dot.style.height = "8px";
        var row = el("div", "pm-row"); row.appendChild(dot); row.appendChild(el("span", null, tr("ctx_landmarks")));
        rows.push(row);
      }
      D.context.attribution.forEach(function (text) { rows.push(el("div", "pm-binote", text)); });
      return rows;
    },
    clusters: function () {
      var layer = D.layers.clusters;
      return layer.classes.map(function (key, i) { return legendRow(layer.colours[i], tr(key)); });
    },
    emerging: function () {
      var layer = D.layers.emerging;
      return layer.patterns.map(function (key, i) { return legendRow(layer.colours[i], tr(key)); })
        .concat([legendRow(null, tr("ehs_none"))]);
    },
    suggested: function () {  // which coverage: by fixed posts, in the siting band
      var first = D.suggested[0];
      return [el("div", "pm-binote pm-wide", suggestedCoverage(first))].concat(
        D.suggested.map(function (site) {
          return legendRow(D.style.suggested, tr("suggested_change", {rank: site.rank,
            before: percent(site.before), after: percent(site.after)}));
        }));
    }
  };
  var legendLayers = [["incidents", hexLayers.incidents, "layer_incidents"],
    ["hotspots", hexLayers.hotspots, "layer_hotspots"],
    ["clusters", hexLayers.clusters, "layer_clusters"], ["presence", hexLayers.presence, "layer_presence"],
    ["gaps", hexLayers.gaps, "layer_gaps"], ["emerging", hexLayers.emerging, "layer_emerging"],
    ["visits", hexLayers.visits, "layer_visits"], ["rates", hexLayers.rates, "layer_rates"],
    ["posts", D.posts.length ? postsLayer : null, "layer_posts"],
    ["context", D.context ? contextLayer : null, "layer_context"],
    ["suggested", D.suggested.length ? suggestedLayer : null, "layer_suggested"],
    ["language", languageLayer, "layer_language"]];

  function renderLegends() {
    legends.textContent = "";
    legendLayers.forEach(function (item) {
      if (!item[1] || !map.hasLayer(item[1])) { return; }
      var block = el("div", "pm-legend"); block.setAttribute("data-layer", item[0]);
      block.appendChild(el("b", null, layerName(item[2])));
      legendMakers[item[0]]().forEach(function (row) { block.appendChild(row); });
      legends.appendChild(block);
    });
    legends.hidden = !legends.childNodes.length;
    if (container.clientWidth < 700) {  // on a phone the legend folds to its titles
      legends.classList.toggle("pm-folded", !S.legendOpen);
      legends.onclick = function () { S.legendOpen = !S.legendOpen; legends.classList.toggle("pm-folded", !S.legendOpen); };
    }
    var top = legends.getBoundingClientRect().top - container.getBoundingClientRect().top;
    legends.style.maxHeight = Math.max(120, container.clientHeight - top - 30) + "px";
  }

  function renderPanels() {
    var band = D.bands.filter(function (b) { return b.key === S.band; })[0];
    title.textContent = "";
    var areaName = D.area_names[S.lang] || D.area_names.en;
    title.appendChild(el("div", "pm-title-main", D.title || tr("title", {area: areaName})));
    var sub = [], month = D.months ? monthShown() : 0;
    if (month) { sub.push(monthLabel(month)); }
    else if (D.meta.period) { sub.push(tr("period", {start: D.meta.period[0], end: D.meta.period[1]})); }
    var total = D.meta.totals[S.band];
    if (!month && total !== null && total !== undefined) { sub.push(tr("total_incidents", {n: fmt(total)}, total)); }
    sub.push(bandLabel(band));
    title.appendChild(el("div", "pm-title-sub", sub.join(" · ")));
    note.textContent = "";
    if (container.clientWidth < 700) {  // on a phone: the first line, the rest on a tap
      note.classList.toggle("pm-folded", !S.noteOpen);
      note.onclick = function () { S.noteOpen = !S.noteOpen; note.classList.toggle("pm-folded", !S.noteOpen); };
    }
    if (D.meta.synthetic) { note.appendChild(el("div", "pm-synthetic", tr("synthetic"))); }
    if (D.note) { note.appendChild(el("div", null, D.note)); }
    note.appendChild(el("div", null, tr("suppressed_note", {k: D.meta.k, k1: D.meta.k - 1})));
    if (D.meta.approximate) { note.appendChild(el("div", null, tr("approximate_area"))); }
    if (D.meta.sparse) { note.appendChild(el("div", "pm-warn", tr("sparse"))); }
    if (D.meta.no_times) { note.appendChild(el("div", "pm-warn", tr("no_times_note"))); }
    if (D.meta.epsilon !== null && D.meta.epsilon !== undefined) {
      note.appendChild(el("div", null, tr("noise", {eps: D.meta.epsilon})));
    }
    methods.textContent = "";
    methods.appendChild(el("b", null, tr("methods")));
    ["method_cells", "method_presence", "method_hotspots", "method_gaps"].forEach(function (key) {
      methods.appendChild(el("p", null, tr(key, D.meta.methods)));
    });
    if (D.categories.names.length) {
      methods.appendChild(el("b", null, tr("by_category") + " · " + bandLabel(band)));
      var cats = el("table", "pm-cats"); cats.id = "pm-categories";
      D.categories.names.forEach(function (names, c) {
        var row = el("tr");
        row.appendChild(el("td", null, names[S.lang] || names.en));
        row.appendChild(el("td", "pm-num", countText(D.categories.totals[S.band][c])));
        cats.appendChild(row);
      });
      methods.appendChild(cats);
    }
    buttons.full.title = tr("fullscreen"); buttons.info.title = tr("methods");
    if (D.meta.restricted) { document.getElementById("pm-restricted").textContent = tr("restricted"); }
    document.documentElement.lang = S.lang;
  }

  function refresh() {
    opened = true;
    Object.keys(hexLayers).forEach(function (name) {
      if (map.hasLayer(hexLayers[name])) { hexLayers[name].redraw(); }
    });
    if (languageLayer && map.hasLayer(languageLayer)) { languageLayer.redraw(); }
    buildPosts(); buildSuggested();
    renderSwitch(); renderLayerControl(); renderLegends(); renderPanels();
    updateLabels();  // after the panels: names keep clear of them
    tip.hidden = true;
  }
  map.on("overlayadd overlayremove baselayerchange", function () {
    renderLegends(); updateLabels();
  });
  map.on("resize", updateLabels);
  map.on("baselayerchange", function () { if (D.months) { renderSwitch(); renderPanels(); } });

  // ------------------------------------------------------------ the cell's numbers
  function countText(v) {
    if (v === HIDDEN) { return tr("fewer_than", {k: D.meta.k}); }
    return v === NOT_SHOWN ? tr("not_shown") : fmt(v);
  }
  function placeNear(i) {
    if (!D.context || !D.context.near || D.context.near[i] < 0) { return null; }
    return tr("near_place", {place: ctxName(D.context.features[D.context.near[i]])});
  }
  function incidentsText(band, i) { return countText(D.layers.incidents.values[band][i]); }
  function showTip(e) {
    var anyHex = Object.keys(hexLayers).some(function (n) { return map.hasLayer(hexLayers[n]); });
    var i = anyHex ? cellAt(e.latlng) : -1;
    if (i < 0) { tip.hidden = true; return; }
    tip.textContent = "";
    var table = el("table");
    var head = el("tr");
    head.appendChild(el("th", null, ""));
    head.appendChild(el("th", null, tr("incidents")));
    if (D.layers.presence) { head.appendChild(el("th", null, tr("patrol_hours"))); }
    table.appendChild(head);
    D.bands.forEach(function (band) {
      var row = el("tr", band.key === S.band ? "pm-on" : "");
      row.appendChild(el("td", null, bandLabel(band)));
      row.appendChild(el("td", "pm-num", incidentsText(band.key, i)));
      if (D.layers.presence) {
        row.appendChild(el("td", "pm-num", fmt(D.layers.presence.values[band.key][i] / 10)));
      }
      table.appendChild(row);
    });
    var place = placeNear(i);
    if (place) { tip.insertBefore(el("b", "pm-near", place), tip.firstChild); }
    var month = D.months ? monthShown() : 0;
    if (month) {
      var parts = [];
      if (hasMonths("incidents")) { parts.push(tr("incidents") + " " + countText(view("incidents").values[S.band][i])); }
      if (hasMonths("presence")) { parts.push(tr("patrol_hours") + " " + fmt(view("presence").values[S.band][i] / 10)); }
      tip.appendChild(el("div", "pm-tip-month", monthLabel(month) + ", " + bandLabel(bandOf(S.band)) + ": " + parts.join(" · ")));
      tip.appendChild(el("div", "pm-switch-label", tr("whole_period")));
    }
    tip.appendChild(table);
    var bin = D.layers.hotspots.values[S.band].charCodeAt(i) - 51;
    tip.appendChild(el("div", null, tr("hotspot") + ": " + tr("hot_" + bin)));
    if (D.layers.clusters) {
      var lisa = D.layers.clusters.values[S.band].charCodeAt(i) - 48;
      tip.appendChild(el("div", null, tr("layer_clusters") + ": " + tr(D.layers.clusters.classes[lisa])));
    }
    if (D.layers.emerging) {
      var pattern = D.layers.emerging.values.charCodeAt(i) - 48;
      tip.appendChild(el("div", null, tr("layer_emerging") + ": " +
        (pattern >= 0 ? tr(D.layers.emerging.patterns[pattern]) : tr("ehs_none"))));
    }
    if (D.layers.gaps) {
      var code = D.layers.gaps.values[S.band].charCodeAt(i) - 48;
      var words = ["low", "medium", "high"];
      tip.appendChild(el("div", null, tr("gap_tip", {band: bandLabel(bandOf(S.band))}) + ": " +
        tr(words[Math.floor(code / 3)]) + " / " + tr(words[code % 3])));
    }
    if (D.layers.visits) {
      tip.appendChild(el("div", "pm-tip-visits", tr("visits_tip", {n: fmt(D.layers.visits.values[S.band][i])})));
    }
    if (D.layers.rates) {
      var rate = D.layers.rates.values[S.band][i];
      tip.appendChild(el("div", "pm-tip-rates", rate === null ? tr("rate_no_residents")
        : tr("rate_tip", {rate: fmt(rate / 100), residents: fmt(Math.round(D.layers.rates.residents[i] / 10))})));
    }
    if (languageLayer && map.hasLayer(languageLayer) && covered(S.band)[i]) {
      tip.appendChild(el("div", "pm-tip-language", tr("language_tip", {language: languageName()}) +
        ", " + bandLabel(bandOf(S.band))));
    }
    var p = e.containerPoint;
    tip.style.left = Math.min(p.x + 14, container.clientWidth - 260) + "px";
    tip.style.top = Math.min(p.y + 14, container.clientHeight - 200) + "px";
    tip.hidden = false;
  }
  map.on("mousemove click", showTip);
  map.on("mouseout", function () { tip.hidden = true; });

  // printing lays the page out at the paper's size: fit the area to it, and back after
  function fitPrint(printing) { map.invalidateSize({animate: false}); fitView(printing); }
  window.addEventListener("beforeprint", function () { fitPrint(true); });
  window.addEventListener("afterprint", function () { fitPrint(false); });

  refresh();
  // what the first view did not need (other bands and months, the residents, the places
  // near each cell, the pointer's grid), made while the page is idle, a list at a time, so
  // the first hover, band or month seldom waits for it
  function whenIdle(task) {
    if (window.requestIdleCallback) { window.requestIdleCallback(task); } else { setTimeout(task, 0); }
  }
  function warmUp() {
    if (later.length) { later.shift()(); whenIdle(warmUp); }
  }
  whenIdle(warmUp);
  window.patrolmap = {state: S, refresh: refresh, layers: hexLayers, cellAt: cellAt, map: map,
    context: contextLayer, posts: postsLayer, labels: contextLabels, language: languageLayer,
    fitPrint: fitPrint, setMonth: setMonth};
})();
