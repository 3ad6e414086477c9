"""The Gates page's result view: metrics, the site / mode / method pickers, per-site figures,
model-wide figures and tables, all rendered from a stored ``GateReport``."""

from __future__ import annotations

from dash import dcc, html

from app.web.components import diagnostics_card, export_stem, figure_card, metric, table_card
from app.web.jobs import field
from workbench.errors import WorkbenchError

PAGE = "gates"
SITE = "gates-site"
MODE = "gates-mode"
METHOD = "gates-method"
RESULT_REFERENCE = "gates-result-reference"
#: the cards of the chosen site, mode and method: a picker re-renders only these
SITE_VIEW = "gates-site-view"

MODE_LABELS = {
    "zero": "zero (close the gate)",
    "mean": "mean (the gate's mean over rows)",
    "open": "open (1: pass everything)",
}
METHOD_LABELS = {
    "layer_conductance": "layer conductance at the site",
    "layer_integrated_gradients": "layer integrated gradients at the site",
    "integrated_gradients": "integrated gradients on the embeddings",
    "feature_ablation": "feature ablation of the codes",
}
DEFAULT_MODE = "zero"
DEFAULT_METHOD = "layer_conductance"


#: CSV downloads (named as ``workbench gates`` writes them): table → frame of a report
TABLES = {
    "gate_statistics": lambda report: report.statistics.per_field,
    "gate_levels": lambda report: report.statistics.per_level,
    "gate_units": lambda report: report.statistics.per_unit_site,
    "gate_ablation": lambda report: report.ablation.effects,
    "attributions": lambda report: report.attributions.per_field,
    "attribution_agreement": lambda report: report.attributions.rank_agreement,
    "field_interactions": lambda report: report.interactions,
}


def result_view(report, data, model, parameters, site, mode, method) -> list:
    """Metrics, the site/mode/method pickers, per-site figures, model-wide figures and tables."""
    from analyzers.figures.gates import interaction_bar

    sites, site, modes, mode, methods, method = view_choices(report, site, mode, method)
    reference = {"data": data, "model": model, "parameters": parameters}
    export = export_stem("gates", data, model)
    children = [
        dcc.Store(id=RESULT_REFERENCE, data=reference),
        _metrics(report),
        *diagnostics_card(report.diagnostics),
        _pickers(report, sites, site, modes, mode, methods, method),
        html.Div(_site_cards(report, site, mode, method, export), id=SITE_VIEW),
    ]
    if len(report.interactions):
        children.append(
            figure_card(
                "gates-interactions",
                interaction_bar(report),
                "Field interactions of the same model (all sites)",
                export=export,
            )
        )
    else:
        children.append(
            html.P("Field interactions were not computed (interactions: no).", className="wb-muted")
        )
    children += _model_tables(report, export)
    return children


def view_choices(report, site, mode, method) -> tuple:
    """(sites, site, modes, mode, methods, method): the choices a stored report offers, and
    the chosen ones where they apply (else the first site, the default mode and method)."""
    ablation, attributions = report.ablation, report.attributions
    sites = list(ablation.sites)
    site = site if site in sites else sites[0]
    modes = list(dict.fromkeys(ablation.effects.loc[ablation.effects["site"] == site, "mode"]))
    mode = mode if mode in modes else (DEFAULT_MODE if DEFAULT_MODE in modes else modes[0])
    methods = [] if attributions is None else list(dict.fromkeys(attributions.per_field["method"]))
    method = method if method in methods else (DEFAULT_METHOD if methods else None)
    return sites, site, modes, mode, methods, method


def site_view(report, data, model, site, mode, method) -> tuple[list, list[dict], str]:
    """The cards of one site, mode and method, with the mode picker's options and value (the
    modes depend on the site): what a picker change re-renders."""
    _, site, modes, mode, _, method = view_choices(report, site, mode, method)
    cards = _site_cards(report, site, mode, method, export_stem("gates", data, model))
    return cards, _mode_options(modes), mode


def _mode_options(modes: list[str]) -> list[dict]:
    return [{"label": MODE_LABELS.get(m, m), "value": m} for m in modes]


def _metrics(report) -> html.Div:
    statistics, ablation = report.statistics, report.ablation
    return html.Div(
        [
            metric("model", report.model_name),
            metric("rows analysed", f"{statistics.settings.get('n_rows', 0):,}"),
            metric("log-loss", f"{ablation.base_loss:.4f}"),
            metric("AUC", f"{ablation.base_auc:.4f}"),
            metric("gate sites", str(len(ablation.sites))),
            metric("fields", str(len(statistics.field_names))),
            metric("bootstrap draws", str(ablation.settings.get("n_bootstrap", ""))),
            metric("analysis time", f"{report.seconds:.1f} s"),
        ],
        className="wb-card wb-metrics",
    )


def _pickers(report, sites, site, modes, mode, methods, method) -> html.Div:
    aligned = _aligned_sites(report)
    site_options = [
        {"label": f"{name} ({aligned.get(name, 'per unit')})", "value": name} for name in sites
    ]
    controls = [
        field("Gate site", dcc.Dropdown(site_options, site, id=SITE, clearable=False)),
        field(
            "Ablation: replace the gate by",
            dcc.Dropdown(
                _mode_options(modes),
                mode,
                id=MODE,
                clearable=False,
            ),
        ),
        field(
            "Attribution beside the gate",
            dcc.Dropdown(
                [{"label": METHOD_LABELS.get(m, m), "value": m} for m in methods],
                method,
                id=METHOD,
                clearable=False,
            ),
        ),
    ]
    return html.Div(html.Div(controls, className="wb-form"), className="wb-card")


def _site_cards(report, site: str, mode: str, method: str | None, export: str) -> list:
    from analyzers.figures.gates import (
        ablation_bar,
        gate_attribution_scatter,
        gate_distribution,
        gate_level_heatmap,
    )

    statistics, ablation, attributions = report.statistics, report.ablation, report.attributions
    cards = []
    if site in _aligned_sites(report):
        cards += [
            figure_card(
                "gates-distribution",
                gate_distribution(statistics, site),
                f"Gate values per field at {site}",
                export=export,
            ),
            figure_card(
                "gates-levels",
                gate_level_heatmap(statistics, site),
                f"Mean gate at {site} per field level",
                export=export,
            ),
        ]
    cards.append(
        figure_card(
            "gates-ablation",
            ablation_bar(ablation, site, mode),
            f"Ablation at {site}: loss increase with bootstrap intervals",
            export=export,
        )
    )
    if site in _aligned_sites(report) and method is not None:
        try:
            scatter = gate_attribution_scatter(statistics, attributions, site, method)
        except WorkbenchError as error:
            cards.append(html.P(str(error), className="wb-muted"))
        else:
            cards.append(
                figure_card("gates-scatter", scatter, f"Gate at {site} vs {method}", export=export)
            )
    else:
        units = statistics.per_unit_site[statistics.per_unit_site["site"] == site]
        cards.append(
            table_card(
                PAGE,
                "gate_units",
                units,
                f"{site} is not aligned with fields: its units",
                note=f"{len(units)} units at {site}; the CSV holds every such site",
                export=export,
            )
        )
    cards += _site_tables(report, site, mode, export)
    return cards


#: columns of the on-page previews (the CSV downloads hold every column)
PREVIEW_COLUMNS = {
    "gate_statistics": ["field", "mean", "std", "median", "share_near_zero", "instance_dependence"],
    "gate_levels": ["field", "level_label", "rows", "mean_gate"],
    "gate_ablation": ["field", "replacement", "loss_increase", "loss_increase_low",
                      "loss_increase_high", "auc_change", "auc_change_low", "auc_change_high"],
    "attributions": ["method", "site", "field", "mean_abs_attribution", "mean_attribution"],
    "attribution_agreement": ["method", "site", "against", "spearman", "n_fields"],
    "field_interactions": ["field_1", "field_2", "fis", "main_effect_1", "main_effect_2"],
}  # fmt: skip


def _site_tables(report, site: str, mode: str, export: str) -> list:
    """The site's rows of each table, most telling first; the CSVs hold every site."""
    statistics, ablation, attributions = report.statistics, report.ablation, report.attributions
    effects = ablation.effects
    tables = [
        (
            "gate_ablation",
            effects[(effects["site"] == site) & (effects["mode"] == mode)].sort_values(
                "loss_increase", ascending=False
            ),
            effects,
            f"Ablation at {site}: gate set to {mode}",
        )
    ]
    if site in _aligned_sites(report):
        per_field, per_level = statistics.per_field, statistics.per_level
        tables += [
            (
                "gate_statistics",
                per_field[per_field["site"] == site],
                per_field,
                f"Gate statistics per field at {site}",
            ),
            (
                "gate_levels",
                per_level[per_level["site"] == site].sort_values("rows", ascending=False),
                per_level,
                f"Mean gate at {site} per field level (most frequent levels first)",
            ),
        ]
    if attributions is not None:
        per_field, agreement = attributions.per_field, attributions.rank_agreement
        tables += [
            (
                "attributions",
                per_field[per_field["site"].isin([site, "embedding"])].sort_values(
                    "mean_abs_attribution", ascending=False
                ),
                per_field,
                f"captum attributions per field (embeddings and {site})",
            ),
            (
                "attribution_agreement",
                agreement[agreement["reference_site"] == site],
                agreement,
                f"Rank agreement (Spearman over fields) of attributions with {site}'s gate mean "
                "and zero-ablation",
            ),
        ]
    return [
        table_card(
            PAGE,
            name,
            shown[PREVIEW_COLUMNS[name]],
            title,
            note=f"{len(shown)} rows for this site; the CSV holds all {len(whole):,} rows "
            "(every site) and columns",
            export=export,
        )
        for name, shown, whole, title in tables
        if len(shown)
    ]


def _model_tables(report, export: str) -> list:
    if not len(report.interactions):
        return []
    frame = report.interactions
    title = "Field-pair interactions (largest |FIS| first)"
    source = frame["source"].iloc[0]
    shown = frame[PREVIEW_COLUMNS["field_interactions"]]
    note = f"{len(frame)} pairs, scored by {source}"
    return [table_card(PAGE, "field_interactions", shown, title, note=note, export=export)]


def _aligned_sites(report) -> dict[str, str]:
    """Sites with per-field statistics → their kind (gate, mask, cross)."""
    per_field = report.statistics.per_field
    return dict(zip(per_field["site"], per_field["kind"], strict=True))
