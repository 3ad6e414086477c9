/* Category axes on a phone (used by narrow_figures.js). A chart whose categories are names (a
   box or a bar per field) names every category: plotly thins the ticks of a crowded category
   axis and a phone's width holds about one upright label per 60 px, so a chart whose names do
   not fit side by side is turned on its side: categories on the y axis, one row each, full
   names, the figure as tall as its rows. Other category axes (a heatmap's columns) keep every
   tick, in a font small enough for their spacing. */
(function () {
    "use strict";

    var TICK_FONT_PX = 10;
    var SMALLEST_FONT_PX = 7;
    var ROW_PX = 20; // the least height of a category's row on a y axis
    var CHARACTER_PX = 6.2; // width of a character at TICK_FONT_PX
    var LONGEST_TICK = 24; // characters of a tick label (hover has the whole text)
    var Y_LINE_CHARACTERS = 22; // a longer y label wraps at its spaces

    function shorten(label, limit) {
        var text = String(label);
        return text.length <= limit ? text : text.slice(0, limit - 1) + "\u2026";
    }

    /* A long label on two or more lines, broken at spaces (a single long word stays whole). */
    function wrapLabel(label) {
        var text = shorten(label, 2 * Y_LINE_CHARACTERS);
        if (text.length <= Y_LINE_CHARACTERS) return text;
        var lines = [], line = "";
        text.split(" ").forEach(function (word) {
            var longer = line ? line + " " + word : word;
            if (line && longer.length > Y_LINE_CHARACTERS) {
                lines.push(line);
                line = word;
            } else {
                line = longer;
            }
        });
        lines.push(line);
        return lines.join("<br>");
    }

    /* The categories a chart can be turned on its side for: one x and one y axis, the x axis
       of categories, and only vertical bars and boxes (with points or lines on them). */
    function sideways(full, fullData) {
        var axes = Object.keys(full).filter(function (name) { return /^[xy]axis\d*$/.test(name); });
        if (axes.length !== 2 || !full.xaxis || !full.yaxis) return null;
        if (full.xaxis.type !== "category" || !Array.isArray(full.xaxis._categories)) return null;
        var bars = 0, other = false;
        fullData.forEach(function (trace) {
            if (trace.visible === false) return;
            if (trace.type === "bar" || trace.type === "box") {
                if (trace.orientation === "h") other = true;
                bars += 1;
            } else if (trace.type !== "scatter") {
                other = true;
            }
        });
        return bars && !other ? full.xaxis._categories.map(String) : null;
    }

    /* Whether the names fit upright side by side on `width` pixels. */
    function fitUpright(names, width) {
        var longest = Math.max.apply(null, names.map(function (name) { return name.length; }));
        return longest * CHARACTER_PX <= (width - 60) / names.length;
    }

    function swapped(ref) {
        if (typeof ref !== "string") return ref;
        return ref.replace(/^x/, "\u0001").replace(/^y/, "x").replace(/^\u0001/, "y");
    }

    /* A copy of `item` with its x and y attributes exchanged (a trace, a shape, an
       annotation); hover templates swap %{x} and %{y}. */
    function swapXY(item) {
        var out = Object.assign({}, item);
        [["x", "y"], ["x0", "y0"], ["x1", "y1"], ["dx", "dy"], ["error_x", "error_y"],
         ["xref", "yref"], ["ax", "ay"], ["axref", "ayref"], ["xshift", "yshift"]]
            .forEach(function (pair) {
            var a = item[pair[0]], b = item[pair[1]];
            delete out[pair[0]];
            delete out[pair[1]];
            if (b !== undefined) out[pair[0]] = /ref$/.test(pair[0]) ? swapped(b) : b;
            if (a !== undefined) out[pair[1]] = /ref$/.test(pair[1]) ? swapped(a) : a;
        });
        if (typeof item.hovertemplate === "string") {
            out.hovertemplate = item.hovertemplate
                .replace(/%\{x/g, "%{\u0001").replace(/%\{y/g, "%{x").replace(/%\{\u0001/g, "%{y");
        }
        return out;
    }

    /* Turns the narrow `layout` and `data` (copies) on their side in place when the x axis's
       category names do not fit upright; returns the extra height in pixels it needs (0 when
       the chart is left as it is). */
    function turnCategories(full, fullData, layout, data, width) {
        var names = sideways(full, fullData);
        if (!names || fitUpright(names, width)) return 0;
        data.forEach(function (trace, index) {
            var turned = swapXY(trace);
            var shown = fullData[index] || {};
            if (shown.type === "bar" || shown.type === "box") turned.orientation = "h";
            data[index] = turned;
        });
        var xaxis = layout.xaxis || {}, yaxis = layout.yaxis || {};
        layout.xaxis = Object.assign({}, yaxis);
        delete layout.xaxis.tickangle;
        var rows = Object.assign({}, xaxis, {
            tickmode: "array",
            tickvals: names,
            ticktext: names.map(wrapLabel),
            tickangle: 0,
            autorange: "reversed", // the first category on top, read like the laptop's left
            automargin: true,
        });
        delete rows.range;
        layout.yaxis = rows;
        ["shapes", "annotations"].forEach(function (key) {
            if (Array.isArray(layout[key])) layout[key] = layout[key].map(swapXY);
        });
        var wanted = names.length * rowPixels(lineCount(rows.ticktext));
        var plot = full.yaxis._length || 0;
        return Math.max(0, wanted - plot);
    }

    /* Every tick of a category axis (or an axis labelled by ticktext) kept, in a font that
       fits its spacing; returns the narrow axis attributes to merge. */
    function everyTick(name, axis, given, width, constrained) {
        var vertical = name.charAt(0) === "y";
        var labels, values;
        if (Array.isArray(given.ticktext)) {
            labels = given.ticktext.map(String);
            values = given.tickvals;
        } else if (axis.type === "category" && Array.isArray(axis._categories)) {
            labels = axis._categories.map(String);
            values = labels;
        } else {
            return {};
        }
        if (!labels.length) return {};
        var share = (axis.domain || [0, 1])[1] - (axis.domain || [0, 1])[0];
        // A y axis grows with the figure (rowsHeight) unless its scale is tied to the x axis's.
        var length = vertical ? (constrained ? (width - 100) * share : Infinity)
            : Math.max(60, (width - 60) * share);
        var spacing = length / labels.length;
        var angle = given.tickangle;
        var upright = !vertical && (angle === undefined || angle === 0);
        var longest = Math.max.apply(null, labels.map(function (label) {
            return label.replace(/<[^>]*>/g, "").length;
        }));
        if (upright && longest * CHARACTER_PX > spacing) angle = -90;
        // The line height a label needs along the axis: its font, more when slanted.
        var lines = vertical ? Math.max.apply(null, labels.map(function (label) {
            return wrapLabel(label).split("<br>").length;
        })) : 1;
        var along = vertical || angle === -90 || angle === 90 ? 1.15 * lines : 1.15 / Math.SQRT1_2;
        if (!vertical && upright && angle === given.tickangle) along = 0;
        var size = along ? Math.floor(spacing / along) : TICK_FONT_PX;
        size = Math.max(SMALLEST_FONT_PX, Math.min(TICK_FONT_PX, size));
        var ticks = {
            tickmode: "array",
            tickvals: values,
            ticktext: labels.map(function (label) {
                return vertical ? wrapLabel(label) : shorten(label, LONGEST_TICK);
            }),
            tickfont: Object.assign({}, given.tickfont, {size: size}),
        };
        if (angle !== given.tickangle) ticks.tickangle = angle;
        return ticks;
    }

    /* Pixels of one row of a y axis whose labels take `lines` lines at TICK_FONT_PX. */
    function rowPixels(lines) {
        return Math.max(ROW_PX, lines * (TICK_FONT_PX + 3) + 6);
    }

    function lineCount(ticktext) {
        return Math.max.apply(null, ticktext.map(function (label) {
            return String(label).split("<br>").length;
        }));
    }

    /* Extra pixels of height so every labelled row of the narrow `layout`'s y axes (not those
       tied to an x axis's scale) holds its label's lines. */
    function rowsHeight(full, layout, constrained) {
        var extra = 0;
        Object.keys(layout).forEach(function (name) {
            var axis = full[name], given = layout[name];
            if (!/^yaxis\d*$/.test(name) || !axis || constrained[axis._id]) return;
            if (!given || !Array.isArray(given.ticktext) || !given.ticktext.length) return;
            var share = (axis.domain || [0, 1])[1] - (axis.domain || [0, 1])[0];
            var wanted = given.ticktext.length * rowPixels(lineCount(given.ticktext));
            extra = Math.max(extra, (wanted - (axis._length || 0)) / (share || 1));
        });
        return extra;
    }

    window.wbNarrowCategories = {
        turnCategories: turnCategories,
        everyTick: everyTick,
        rowsHeight: rowsHeight,
    };
})();
