/* Labels of scattered points on a phone (used by narrow_figures.js). Points that cluster on a
   phone's width carry labels that cover each other and the markers, and a label near the plot's
   edge is clipped. Once the narrow figure is drawn, each point's label is placed where it
   overlaps no label already placed, no marker and stays inside the plot area (above, below,
   right, left or at a corner of its point, in that order of preference); a label with no such
   place is left to hover and tap (its whole text stays in the hover), and the figure says how
   many: nothing goes missing silently. Positions come from the drawn axes, so the estimate is
   the plot a user sees. */
(function () {
    "use strict";

    var TEXT_FONT_PX = 9;
    var GAP_PX = 2;
    var MOST_LABELS = 400;
    var POSITIONS = [
        "top center", "bottom center", "middle right", "middle left",
        "top right", "top left", "bottom right", "bottom left",
    ];
    var measurer = null;

    function textWidth(text, size, family) {
        measurer = measurer || document.createElement("canvas").getContext("2d");
        measurer.font = size + "px " + (family || "sans-serif");
        return measurer.measureText(text).width;
    }

    function axisName(id) {
        return id.charAt(0) + "axis" + id.slice(1);
    }

    function pick(value, index, fallback) {
        var picked = Array.isArray(value) ? value[index] : value;
        return picked === undefined || picked === null ? fallback : picked;
    }

    /* The pixel centre of each point of a trace (NaN where not drawn). */
    function centres(full, shown) {
        var xa = full[axisName(shown.xaxis || "x")], ya = full[axisName(shown.yaxis || "y")];
        if (!xa || !ya || !shown.x || !shown.y) return [];
        return Array.from(shown.x, function (x, i) {
            return {
                x: xa._offset + xa.c2p(xa.d2c(x)),
                y: ya._offset + ya.c2p(ya.d2c(shown.y[i])),
            };
        });
    }

    /* The box of a label of `wide` × `high` pixels at `position` around a marker of radius r. */
    function labelBox(position, centre, r, wide, high) {
        var parts = position.split(" "), v = parts[0], h = parts[1];
        var corner = v !== "middle" && h !== "center" ? r * 0.7 : 0;
        var left = h === "center" ? centre.x - wide / 2
            : h === "right" ? centre.x + (corner || r + GAP_PX) : centre.x - (corner || r + GAP_PX) - wide;
        var top = v === "middle" ? centre.y - high / 2
            : v === "top" ? centre.y - (corner || r + GAP_PX) - high : centre.y + (corner || r + GAP_PX);
        return {l: left, r: left + wide, t: top, b: top + high};
    }

    function overlaps(a, b) {
        return a.l < b.r && b.l < a.r && a.t < b.b && b.t < a.b;
    }

    function labelled(shown) {
        return shown.visible !== false && typeof shown.mode === "string" &&
            shown.mode.indexOf("text") >= 0 && Array.isArray(shown.text) && shown.x && shown.y;
    }

    /* Every drawn marker of the figure as a box (an invisible marker is no obstacle). */
    function markerBoxes(full, fullData) {
        var boxes = [];
        fullData.forEach(function (shown) {
            if (shown.visible !== true || typeof shown.mode !== "string") return;
            if (shown.mode.indexOf("markers") < 0) return;
            var marker = shown.marker || {};
            if (marker.opacity === 0 || shown.opacity === 0) return;
            centres(full, shown).forEach(function (centre, i) {
                var r = Number(pick(marker.size, i, 6)) / 2;
                if (!isFinite(centre.x) || !isFinite(centre.y)) return;
                boxes.push({l: centre.x - r, r: centre.x + r, t: centre.y - r, b: centre.y + r,
                            centre: centre});
            });
        });
        return boxes;
    }

    /* Where each label of the drawn narrow figure `gd` goes: {traces: {index: {text,
       textposition, hovertext?, hovertemplate?}}, hidden: count} (null when every label
       already sits clear). */
    function placeMarks(gd) {
        var full = gd._fullLayout, fullData = gd._fullData;
        var labels = fullData.filter(labelled).reduce(function (sum, shown) {
            return sum + shown.text.length;
        }, 0);
        // A cloud of thousands of labelled points is no reading aid on any screen: left as built.
        if (!labels || labels > MOST_LABELS) return null;
        var size = full._size;
        var area = {l: size.l, r: size.l + size.w, t: size.t, b: size.t + size.h};
        var markers = markerBoxes(full, fullData);
        var placed = [], traces = {}, hidden = 0, moved = false;
        fullData.forEach(function (shown, index) {
            if (!labelled(shown)) return;
            var trace = gd.data[index];
            var texts = Array.from(shown.text, function (t) { return t === undefined ? "" : String(t); });
            var font = shown.textfont || {};
            var marker = shown.marker || {};
            var withMarkers = shown.mode.indexOf("markers") >= 0;
            var positions = [], shownTexts = [];
            centres(full, shown).forEach(function (centre, i) {
                var text = texts[i].replace(/<[^>]*>/g, "");
                var preferred = pick(shown.textposition, i, "top center");
                if (!text) { shownTexts.push(""); positions.push(preferred); return; }
                var fontSize = Number(pick(font.size, i, TEXT_FONT_PX));
                var wide = textWidth(text, fontSize, pick(font.family, i, "")) + 2;
                var high = fontSize * 1.2;
                var r = withMarkers ? Number(pick(marker.size, i, 6)) / 2 : 0;
                var order = [preferred].concat(POSITIONS.filter(function (p) { return p !== preferred; }));
                var chosen = null;
                for (var k = 0; k < order.length && !chosen; k++) {
                    var box = labelBox(order[k], centre, r, wide, high);
                    var clear = box.l >= area.l && box.r <= area.r && box.t >= area.t && box.b <= area.b &&
                        !placed.some(function (other) { return overlaps(box, other); }) &&
                        !markers.some(function (other) { return overlaps(box, other); });
                    if (clear) chosen = {position: order[k], box: box};
                }
                if (chosen) {
                    placed.push(chosen.box);
                    moved = moved || chosen.position !== preferred;
                    shownTexts.push(texts[i]);
                    positions.push(chosen.position);
                } else {
                    hidden += 1;
                    shownTexts.push("");
                    positions.push(preferred);
                }
            });
            var cut = {text: shownTexts, textposition: positions};
            if (trace.hovertext === undefined) cut.hovertext = texts;
            if (typeof trace.hovertemplate === "string") {
                cut.hovertemplate = trace.hovertemplate.split("%{text}").join("%{hovertext}");
            }
            traces[index] = cut;
        });
        if (!hidden && !moved) return null;
        return {traces: traces, hidden: hidden};
    }

    /* The sentence a figure shows when some labels are left to hover. */
    function hiddenNote(hidden) {
        return hidden === 1 ? "1 label hidden (crowded): tap its point"
            : hidden + " labels hidden (crowded): tap a point";
    }

    window.wbNarrowMarks = {placeMarks: placeMarks, hiddenNote: hiddenNote};
})();
