/* Figures on a phone. The server builds each figure without knowing the window, for a laptop's
   card; on a window narrower than NARROW_PX every graph is laid out again here, in one place:
   the title smaller and wrapped at word boundaries, legends below the plot, thin colour bars,
   small margins, long tick labels and crowded text marks cut (hover keeps the whole text: it
   shows the data, not the tick text), smaller text. No value a figure shows changes.

   The narrow figure is a copy handed to Plotly.react (the graph's own figure, which the page
   exports, is never mutated); a wider window gets the original back. dcc.Graph replots with
   its own figure on every update, after which the figure is narrowed again. */
(function () {
    "use strict";

    var NARROW_PX = 600;
    var TITLE_FONT_PX = 13;
    var TICK_FONT_PX = 10;
    var TEXT_FONT_PX = 9;
    var SUBTITLE_FONT_PX = 10;
    var X_TICK_CHARACTERS = 12;
    var TABLE_COLUMN_PX = 64;
    var AXIS = /^[xy]axis\d*$/;

    function narrowWindow() {
        return window.innerWidth < NARROW_PX;
    }

    function copy(value) {
        return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    }

    function visibleLength(text) {
        return text.replace(/<[^>]*>/g, "").length;
    }

    /* Lines of at most `perLine` visible characters, broken at spaces (a longer word keeps its
       own line); line breaks already in the text are kept. */
    function wrap(text, perLine) {
        var lines = [];
        String(text).split(/<br\s*\/?>/i).forEach(function (part) {
            var line = "";
            part.split(" ").forEach(function (word) {
                var longer = line ? line + " " + word : word;
                if (line && visibleLength(longer) > perLine) {
                    lines.push(line);
                    line = word;
                } else {
                    line = longer;
                }
            });
            lines.push(line);
        });
        return lines;
    }

    function shorten(label, limit) {
        var text = String(label);
        return text.length <= limit ? text : text.slice(0, limit - 1) + "\u2026";
    }

    /* A title attribute as an object (plotly also takes a bare string). */
    function titleObject(title) {
        if (!title) return {};
        return typeof title === "string" ? {text: title} : Object.assign({}, title);
    }

    function titleText(title) {
        if (!title) return "";
        return typeof title === "string" ? title : title.text || "";
    }

    /* The subtitle (a one-line note under the title, as the Embeddings figures' invariance
       note), wrapped like the title at its own font size; returns its number of lines. */
    function narrowSubtitle(title, width) {
        var subtitle = title.subtitle;
        var text = titleText(subtitle);
        if (!text) return 0;
        var size = Math.min(((subtitle.font || {}).size) || SUBTITLE_FONT_PX, SUBTITLE_FONT_PX);
        var lines = wrap(text, Math.max(16, Math.floor((width - 16) / (size * 0.56))));
        title.subtitle = Object.assign(titleObject(subtitle), {
            text: lines.join("<br>"),
            font: Object.assign({}, subtitle.font, {size: size}),
        });
        return lines.length;
    }

    /* The title (and its subtitle), wrapped to the width at TITLE_FONT_PX; returns the
       height in pixels they take. */
    function narrowTitle(layout, width) {
        var text = titleText(layout.title);
        if (!text) return 0;
        var title = typeof layout.title === "string" ? {} : Object.assign({}, layout.title);
        var perLine = Math.max(16, Math.floor((width - 16) / (TITLE_FONT_PX * 0.56)));
        var lines = wrap(text, perLine);
        var notes = narrowSubtitle(title, width);
        layout.title = Object.assign({}, title, {
            text: lines.join("<br>"),
            font: Object.assign({}, title.font, {size: TITLE_FONT_PX}),
            x: 0.01,
            xref: "container",
            xanchor: "left",
            y: 1,
            yref: "container",
            yanchor: "top",
            pad: {t: 10, l: 4},
        });
        return lines.length * 17 + notes * (SUBTITLE_FONT_PX + 4);
    }

    function narrowAxes(layout, full, width) {
        var yCharacters = Math.max(8, Math.min(18, Math.floor((width * 0.3) / 6)));
        // Axes kept at a fixed aspect ratio by widening their range: plotly wrote the range it
        // widened for the laptop's card back into the layout, so it is found again from the data.
        var scaled = {};
        (full._axisConstraintGroups || []).forEach(function (group) {
            Object.keys(group).forEach(function (id) { scaled[id] = true; });
        });
        Object.keys(full).forEach(function (name) {
            if (!AXIS.test(name)) return;
            var axis = full[name];
            var limit = name.charAt(0) === "y" ? yCharacters : X_TICK_CHARACTERS;
            var given = layout[name] || {};
            var narrow = Object.assign({}, given, {
                automargin: true,
                tickfont: Object.assign({}, given.tickfont, {size: TICK_FONT_PX}),
            });
            if (scaled[axis._id] && axis.constrain !== "domain") {
                delete narrow.range;
                narrow.autorange = true;
            }
            var ticks = Array.isArray(given.ticktext) ? given.ticktext.length : 0;
            if (name.charAt(0) === "x" && ticks * (TICK_FONT_PX + 10) > width * 0.7) {
                narrow.tickangle = -90; // slanted labels this close together overlap
            }
            if (Array.isArray(given.ticktext)) {
                narrow.ticktext = given.ticktext.map(function (label) {
                    return shorten(label, limit);
                });
            } else if (axis.type === "category" && Array.isArray(axis._categories)) {
                var names = axis._categories.map(String);
                if (names.some(function (label) { return label.length > limit; })) {
                    narrow.tickmode = "array";
                    narrow.tickvals = names;
                    narrow.ticktext = names.map(function (label) { return shorten(label, limit); });
                }
            }
            var title = titleText(given.title);
            if (title) {
                var perLine = Math.floor((width - 40) / 6.5);
                var titleObject = typeof given.title === "string" ? {} : given.title;
                narrow.title = Object.assign({}, titleObject, {
                    text: name.charAt(0) === "x" ? wrap(title, perLine).join("<br>") : title,
                    font: Object.assign({}, titleObject.font, {size: 11}),
                });
            }
            layout[name] = narrow;
        });
    }

    /* A thin colour bar with its title along it: a phone's width goes to the cells. (A
       horizontal bar above or below the plot made plotly push the margins past the plot.) */
    function thinColourBar(colorbar) {
        return Object.assign({}, colorbar, {
            thickness: 10,
            xpad: 4,
            tickfont: Object.assign({}, colorbar && colorbar.tickfont, {size: TICK_FONT_PX}),
            title: Object.assign(titleObject(colorbar && colorbar.title), {
                side: "right",
                font: {size: 11},
            }),
        });
    }

    /* Text marks side by side on one level (a Hasse diagram's row of pairs) overlap on a phone:
       each is cut to its share of the width; hover shows the whole text instead. */
    function shortMarks(trace, shown, width) {
        if (!shown.text || !shown.y || typeof shown.text === "string") return {};
        var texts = Array.from(shown.text, String);
        var perLevel = {};
        Array.from(shown.y).forEach(function (y) { perLevel[y] = (perLevel[y] || 0) + 1; });
        var most = Math.max.apply(null, Object.values(perLevel));
        var limit = Math.max(4, Math.floor(width / most / (TEXT_FONT_PX * 0.6)));
        if (!texts.some(function (text) { return text.length > limit; })) return {};
        var cut = {text: texts.map(function (text) { return shorten(text, limit); })};
        if (trace.hovertext === undefined) cut.hovertext = texts;
        if (typeof trace.hovertemplate === "string") {
            cut.hovertemplate = trace.hovertemplate.split("%{text}").join("%{hovertext}");
        }
        return cut;
    }

    /* Labels of scattered points (a field per point on the Gates page) collide where points
       cluster on a phone, and one at the right edge is cut: a label near an edge is put on its
       inner side, and a label whose box would overlap one already kept is left to hover (in
       the order of the points; the whole text stays in the hover). Estimated from the laptop
       layout's axes on the narrow plot's width; only linear axes and a top/middle position. */
    function sparseMarks(trace, shown, full, width) {
        if (!shown.text || typeof shown.text === "string" || !shown.x || !shown.y) return {};
        if (typeof shown.textposition !== "string" || !/center$/.test(shown.textposition)) {
            return {};
        }
        var xa = full[axisName(shown.xaxis)], ya = full[axisName(shown.yaxis)];
        if (!xa || !ya || xa.type !== "linear" || ya.type !== "linear") return {};
        var plotWidth = Math.max(100, width - 80), plotHeight = ya._length || 300;
        var xs = xa.range.map(Number), ys = ya.range.map(Number);
        var texts = Array.from(shown.text, String);
        var high = TEXT_FONT_PX + 3;
        var kept = [], positions = [], shownTexts = [];
        var cut = false;
        texts.forEach(function (text, i) {
            var px = (Number(shown.x[i]) - xs[0]) / (xs[1] - xs[0]) * plotWidth;
            var py = (Number(shown.y[i]) - ys[0]) / (ys[1] - ys[0]) * plotHeight;
            var wide = text.length * TEXT_FONT_PX * 0.6;
            var side = "center", left = px - wide / 2;
            if (left + wide > plotWidth) { side = "left"; left = px - wide; }
            else if (left < 0) { side = "right"; left = px; }
            var box = {l: left, r: left + wide, b: py, t: py + high};
            var clash = !isFinite(px) || !isFinite(py) || kept.some(function (other) {
                return box.l < other.r && other.l < box.r && box.b < other.t && other.b < box.t;
            });
            if (!clash) kept.push(box);
            cut = cut || clash || side !== "center";
            shownTexts.push(clash ? "" : text);
            positions.push(shown.textposition.replace(/center$/, side));
        });
        if (!cut) return {};
        var sparse = {text: shownTexts, textposition: positions};
        if (trace.hovertext === undefined) sparse.hovertext = texts;
        if (typeof trace.hovertemplate === "string") {
            sparse.hovertemplate = trace.hovertemplate.split("%{text}").join("%{hovertext}");
        }
        return sparse;
    }

    function axisName(id) {
        return id.charAt(0) + "axis" + id.slice(1);
    }

    /* The narrow copy of the `wide` figure; `gd`'s full layout and data (plotly's resolved
       attributes) say which axes, legends and colour bars it has. */
    function narrowFigure(gd, wide, width) {
        var full = gd._fullLayout;
        var layout = copy(wide.layout);
        var titleHeight = narrowTitle(layout, width);
        narrowAxes(layout, full, width);
        if (full.showlegend) {
            layout.legend = Object.assign({}, layout.legend, {
                orientation: "h",
                x: 0,
                xanchor: "left",
                xref: "container",
                y: 0,
                yanchor: "bottom",
                yref: "container",
                font: Object.assign({}, (layout.legend || {}).font, {size: 10}),
            });
        }
        Object.keys(full).forEach(function (name) {
            if (/^coloraxis\d*$/.test(name) && full[name].showscale) {
                layout[name] = Object.assign({}, layout[name], {
                    colorbar: thinColourBar((layout[name] || {}).colorbar),
                });
            }
        });
        var data = wide.data.map(function (trace, index) {
            var shown = gd._fullData[index] || {};
            var narrow = trace;
            if (shown.showscale && shown.colorbar) {
                narrow = Object.assign({}, narrow, {colorbar: thinColourBar(trace.colorbar)});
            }
            var marker = shown.marker || {};
            if (marker.showscale && marker.colorbar) {
                narrow = Object.assign({}, narrow, {
                    marker: Object.assign({}, trace.marker, {
                        colorbar: thinColourBar((trace.marker || {}).colorbar),
                    }),
                });
            }
            var marks = typeof shown.mode === "string" && shown.mode.indexOf("text") >= 0;
            if (marks || trace.texttemplate) {
                var size = Math.min((shown.textfont || {}).size || TEXT_FONT_PX, TEXT_FONT_PX);
                narrow = Object.assign({}, narrow, {
                    textfont: Object.assign({}, trace.textfont, {size: size}),
                });
            }
            if (marks) {
                var cut = shortMarks(trace, shown, width);
                if (!Object.keys(cut).length) cut = sparseMarks(trace, shown, full, width);
                narrow = Object.assign(narrow, cut);
            }
            return narrow;
        });
        layout.margin = {
            l: 6,
            r: 6,
            t: titleHeight ? 18 + titleHeight : 20,
            b: 24,
            pad: 0,
            autoexpand: true,
        };
        return {data: data, layout: layout};
    }

    /* A plotly table cannot scroll and squeezed into a phone its cells overlap: it is drawn at
       TABLE_COLUMN_PX a column and its graph's box scrolls sideways (the page does not widen).
       Returns whether the graph's width changed. */
    function scrollTable(gd, narrow) {
        var columns = 0;
        gd._fullData.forEach(function (trace) {
            if (trace.type === "table" && trace.cells && trace.cells.values) {
                columns = Math.max(columns, trace.cells.values.length);
            }
        });
        var wide = narrow && columns ? columns * TABLE_COLUMN_PX + "px" : "";
        if (gd.style.minWidth === wide) return false;
        gd.style.minWidth = wide;
        gd.parentElement.style.overflowX = wide ? "auto" : "";
        return true;
    }

    /* Narrow or restore one graph to fit the window (each is a no-op when already so). */
    function fit(gd) {
        if (!window.Plotly || !gd._fullLayout || !gd.data || gd._narrowBusy) return;
        // The width the user sees: the graph's box (wider than it for a scrolled table).
        var box = gd.parentElement || gd;
        var width = Math.round(box.getBoundingClientRect().width) || window.innerWidth;
        var narrowed = gd._narrow && gd.layout === gd._narrow.layout;
        var figure;
        if (narrowWindow()) {
            if (narrowed && Math.abs(gd._narrow.width - width) < 24) return;
            if (!narrowed) gd._wide = {data: gd.data, layout: gd.layout};
            figure = narrowFigure(gd, gd._wide, width);
            gd._narrow = {layout: figure.layout, width: width};
        } else if (narrowed) {
            figure = gd._wide;
            gd._narrow = null;
        } else {
            return;
        }
        var resized = scrollTable(gd, gd._narrow !== null);
        gd._narrowBusy = true;
        Promise.resolve(Plotly.react(gd, figure.data, figure.layout))
            .then(function () { return resized ? Plotly.Plots.resize(gd) : null; })
            .catch(function () { return null; })
            .then(function () { gd._narrowBusy = false; });
    }

    function watch(gd) {
        if (gd._narrowWatched || typeof gd.on !== "function") return;
        gd._narrowWatched = true;
        // After dcc.Graph plots its own figure (a new layout object): narrow it again.
        gd.on("plotly_afterplot", function () { fit(gd); });
        gd.on("plotly_react", function () { fit(gd); });
        fit(gd);
    }

    var pending = null;
    function scan() {
        pending = null;
        document.querySelectorAll(".js-plotly-plot").forEach(function (gd) {
            watch(gd);
            fit(gd);
        });
    }
    function later() {
        if (pending === null) pending = window.setTimeout(scan, 60);
    }

    new MutationObserver(later).observe(document.documentElement, {childList: true, subtree: true});
    window.addEventListener("resize", later);
})();
