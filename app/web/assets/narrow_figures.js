/* Figures on a phone. The server builds each figure without knowing the window, for a laptop's
   card; on a window narrower than NARROW_PX every graph is laid out again here, in one place:
   the title smaller and wrapped at word boundaries, legends below the plot, thin colour bars,
   small margins, smaller text; every category keeps its label, a chart of named categories
   too many to stand side by side is turned on its side (narrow_categories.js); labels of
   scattered points are placed clear of each other once drawn, the rest left to hover with a
   note saying how many (narrow_marks.js). No value a figure shows changes.

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

    /* The title (and its subtitle), wrapped to the width at TITLE_FONT_PX (`squeeze` < 1: to
       that share of it, for a title drawn wider than estimated); returns the height in pixels
       they take. */
    function narrowTitle(layout, width, squeeze) {
        var text = titleText(layout.title);
        if (!text) return 0;
        var title = typeof layout.title === "string" ? {} : Object.assign({}, layout.title);
        var perLine = Math.max(16, Math.floor(squeeze * (width - 16) / (TITLE_FONT_PX * 0.56)));
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

    /* The ids of axes whose scale is tied to another's (a square heatmap's). */
    function constrainedAxes(full) {
        var scaled = {};
        (full._axisConstraintGroups || []).forEach(function (group) {
            Object.keys(group).forEach(function (id) { scaled[id] = true; });
        });
        return scaled;
    }

    function narrowAxes(layout, full, width) {
        // Axes kept at a fixed aspect ratio by widening their range: plotly wrote the range it
        // widened for the laptop's card back into the layout, so it is found again from the data.
        var scaled = constrainedAxes(full);
        Object.keys(full).forEach(function (name) {
            if (!AXIS.test(name)) return;
            var axis = full[name];
            var given = layout[name] || {};
            var narrow = Object.assign({}, given, {
                automargin: true,
                tickfont: Object.assign({}, given.tickfont, {size: TICK_FONT_PX}),
            });
            if (scaled[axis._id] && axis.constrain !== "domain") {
                delete narrow.range;
                narrow.autorange = true;
            }
            // Every category keeps its tick (plotly would thin a crowded axis).
            Object.assign(narrow, window.wbNarrowCategories.everyTick(
                name, axis, given, width, scaled[axis._id]));
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

    /* The narrow copy of the `wide` figure; `gd`'s full layout and data (plotly's resolved
       attributes) say which axes, legends and colour bars it has. */
    function narrowFigure(gd, wide, width) {
        var full = gd._fullLayout;
        var layout = copy(wide.layout);
        var titleHeight = narrowTitle(layout, width, 1);
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
                narrow = Object.assign(narrow, shortMarks(trace, shown, width));
            }
            return narrow;
        });
        var categories = window.wbNarrowCategories;
        var taller = Math.max(
            categories.turnCategories(full, gd._fullData, layout, data, width),
            categories.rowsHeight(full, layout, constrainedAxes(full))
        );
        if (taller > 0) layout.height = Math.round(full.height + taller);
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

    /* Whether a drawn title or subtitle reaches past the graph's sides. */
    function titleOverflows(gd) {
        var box = gd.getBoundingClientRect();
        return Array.from(gd.querySelectorAll(".gtitle, .gtitle-subtitle")).some(function (t) {
            var drawn = t.getBoundingClientRect();
            return drawn.width && (drawn.left < box.left - 1 || drawn.right > box.right + 1);
        });
    }

    /* The title again, from the laptop's, with `note` under it; the figure grows by the
       height the title gained so the plot area keeps its size (labels were placed on it). */
    function retitle(layout, wideTitle, width, squeeze, note) {
        var title = titleObject(wideTitle);
        if (note) {
            var subtitle = titleText(title.subtitle);
            title.subtitle = Object.assign(titleObject(title.subtitle), {
                text: subtitle ? subtitle + "<br>" + note : note,
            });
        }
        layout.title = title;
        var before = layout.margin.t;
        layout.margin = Object.assign({}, layout.margin, {t: 18 + narrowTitle(layout, width, squeeze)});
        layout.height = Math.round(layout.height + layout.margin.t - before);
    }

    /* Once the narrow figure is drawn: labels of scattered points placed clear of each other
       and of the markers (narrow_marks.js), and a title drawn wider than estimated wrapped
       shorter. Returns plotly's promise, or null when nothing moves. */
    function settle(gd, figure, width) {
        var marks = window.wbNarrowMarks.placeMarks(gd);
        var squeeze = titleOverflows(gd) ? 0.8 : 1;
        if (!marks && squeeze === 1) return null;
        var data = figure.data.slice();
        Object.keys(marks ? marks.traces : {}).forEach(function (index) {
            data[index] = Object.assign({}, data[index], marks.traces[index]);
        });
        var layout = Object.assign({}, figure.layout, {
            height: figure.layout.height || gd._fullLayout.height,
        });
        var note = marks && marks.hidden ? window.wbNarrowMarks.hiddenNote(marks.hidden) : "";
        if (note || squeeze < 1) {
            retitle(layout, gd._wide.layout.title, width, squeeze, note);
        }
        gd._narrow.layout = layout;
        fitHeight(gd, layout);
        return Plotly.react(gd, data, layout);
    }

    /* The graph's box as tall as a narrow figure that grew (a chart turned on its side, a
       title on more lines); the laptop's height back otherwise. */
    function fitHeight(gd, layout) {
        var box = gd.parentElement;
        if (!box) return;
        if (gd._wideBoxHeight === undefined) gd._wideBoxHeight = box.style.height;
        var grown = gd._narrow && layout.height && layout.height !== gd._wide.layout.height;
        box.style.height = grown ? layout.height + "px" : gd._wideBoxHeight;
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
        fitHeight(gd, figure.layout);
        gd._narrowBusy = true;
        Promise.resolve(Plotly.react(gd, figure.data, figure.layout))
            .then(function () { return resized ? Plotly.Plots.resize(gd) : null; })
            .then(function () { return gd._narrow ? settle(gd, figure, width) : null; })
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
