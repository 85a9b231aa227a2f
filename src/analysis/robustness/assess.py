"""All robustness checks for one analysis: :func:`assess` returns a :class:`Robustness`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import config
from analysis.interventions import Intervention
from analysis.jsonable import jsonable
from analysis.models import ITSResult, ITSSpec
from analysis.robustness import checks as chk
from analysis.robustness.comparative import comparative_estimates, event_study, stacked_panel
from analysis.robustness.controls import ComparisonSetup, eligibility
from analysis.robustness.fits import fit_series
from analysis.robustness.periods import Period, named_periods, segment_columns
from analysis.robustness.placebo import damped_ratio, placebo_in_time, rank_p_value
from analysis.robustness.sensitivity import sensitivity
from analysis.robustness.synthetic import synthetic_control


def _records(frame: pd.DataFrame | None) -> list[dict] | None:
    if frame is None:
        return None
    out = frame.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].dt.strftime("%Y-%m")
    return jsonable(out.to_dict(orient="records"))


@dataclass
class Robustness:
    """What the checks found; see :mod:`analysis.robustness.checks` for the rule."""

    periods: list[Period]
    window_months: int
    period_estimates: pd.DataFrame
    before_after: pd.DataFrame
    controls: pd.DataFrame
    comparative: pd.DataFrame | None
    comparative_city_trends: pd.DataFrame | None
    event_study: pd.DataFrame | None
    synthetic: dict | None
    placebo_time: pd.DataFrame
    placebo_rank_p_value: float
    false_alarm_plain: float
    false_alarm_unqualified: float
    sensitivity: pd.DataFrame
    departure: float
    damped: dict
    checks: dict
    notes: list[str] = field(default_factory=list)

    @property
    def unqualified(self) -> bool:
        return chk.unqualified(self.checks)

    @property
    def eligible_controls(self) -> list[str]:
        return self.controls.loc[self.controls["eligible"], "city"].tolist()

    def forest(self, primary: dict) -> pd.DataFrame:
        """Every estimate with its interval: method, period, label; ``primary`` highlighted.

        ``primary``: the verdict's rate ratio (estimate, lower, upper)."""
        rows = [
            {
                "method": "Primary (verdict)",
                "period": "first_year",
                "label": self.periods_label("first_year"),
                "estimate": primary["estimate"],
                "lower": primary["lower"],
                "upper": primary["upper"],
                "primary": True,
            }
        ]

        def add(method, frame, label_col="label", key_col="period"):
            if frame is None:
                return
            for _, r in frame.iterrows():
                est = r.get("estimate", np.nan)
                if np.isfinite(est) and est > 0 and np.isfinite(r.get("upper", 1.0)):
                    rows.append(
                        {
                            "method": method,
                            "period": r.get(key_col, ""),
                            "label": r[label_col],
                            "estimate": r["estimate"],
                            "lower": r.get("lower", np.nan),
                            "upper": r.get("upper", np.nan),
                            "primary": False,
                        }
                    )

        add("Own trend, by period", self.period_estimates)
        add("Comparison cities", self.comparative)
        add("Comparison cities, own trends", self.comparative_city_trends)
        if self.synthetic is not None:
            sc = self.synthetic["periods"].rename(columns={"ratio": "estimate"})
            add("Synthetic control (no interval)", sc)
        sens = self.sensitivity.assign(period="first_year")
        add("Sensitivity", sens, label_col="variant")
        return pd.DataFrame(rows)

    def periods_label(self, key: str) -> str:
        return next((p.label for p in self.periods if p.key == key), key)

    def to_dict(self) -> dict:
        sc = None
        if self.synthetic is not None:
            sc = {
                k: v
                for k, v in self.synthetic.items()
                if k not in ("periods", "path", "placebo_in_space")
            }
            sc["periods"] = _records(self.synthetic["periods"])
            sc["placebo_in_space"] = _records(self.synthetic["placebo_in_space"])
        return jsonable(
            {
                "window_months": self.window_months,
                "periods": [p.to_dict() for p in self.periods],
                "period_estimates": _records(self.period_estimates),
                "before_after": _records(self.before_after),
                "controls": _records(self.controls),
                "comparative": _records(self.comparative),
                "comparative_city_trends": _records(self.comparative_city_trends),
                "event_study": _records(self.event_study),
                "synthetic_control": sc,
                "placebo_in_time": {
                    "dates": int(len(self.placebo_time)),
                    "rank_p_value": self.placebo_rank_p_value,
                    "false_alarm_rate_plain_rule": self.false_alarm_plain,
                    "false_alarm_rate_unqualified": self.false_alarm_unqualified,
                    "estimates": _records(self.placebo_time),
                },
                "sensitivity": _records(self.sensitivity),
                "projection_departure": self.departure,
                "damped_trend_estimate": self.damped,
                "checks": self.checks,
                "unqualified": self.unqualified,
                "notes": self.notes,
            }
        )


def _before_after(series: pd.DataFrame, first_post: pd.Timestamp, periods) -> pd.DataFrame:
    months = pd.DatetimeIndex(series.index)
    pre = series["count"][(months < first_post)].iloc[-12:]
    base = float(pre.mean())
    rows = []
    for p in periods:
        got = series["count"][p.mask(months)]
        if len(got):
            rows.append(
                {
                    "period": p.key,
                    "label": p.label,
                    "months": len(got),
                    "mean_before": base,
                    "mean_during": float(got.mean()),
                    "change": float(got.mean() / base - 1) if base > 0 else np.nan,
                }
            )
    return pd.DataFrame(rows)


def assess(
    *,
    primary: ITSResult,
    series: pd.DataFrame,
    panel: pd.DataFrame,
    city: str,
    intervention: Intervention,
    spec: ITSSpec,
    measure: str,
    window: int,
    setup: ComparisonSetup,
    other_measure: tuple[str, pd.DataFrame] | None = None,
    min_pre_placebo: int = config.PLACEBO_MIN_PRE_MONTHS,
) -> Robustness:
    """Every check for the primary fit ``primary`` (the evaluation window) of ``series``
    (all complete months of ``city`` up to the as-of date) against the cities of ``panel``."""
    first_post = primary.first_post_month
    months = pd.DatetimeIndex(series.index)
    periods = named_periods(intervention, first_post, window)
    present = [p for p in periods if p.mask(months).any()]
    notes: list[str] = []
    alpha = spec.alpha

    pfit = fit_series(series, spec, segment_columns(months, present), first_post=first_post)
    period_rows = [
        {"period": p.key, "label": p.label, **pfit.ratio(p.mask(months))} for p in present
    ]
    period_estimates = pd.DataFrame(period_rows)

    controls = eligibility(panel, city, first_post, setup)
    donors = controls.loc[controls["eligible"], "city"].tolist()
    comparative = comparative_trends = events = synthetic = None
    stacked = None
    if donors:
        stacked = stacked_panel(panel, [city, *donors], measure)
        comparative = comparative_estimates(stacked, city, present, spec)
        if setup.extras:
            comparative_trends = comparative_estimates(
                stacked, city, present, spec, city_trends=True
            )
            events = event_study(stacked, city, first_post, spec)
            window_end = (first_post.to_period("M") + window - 1).to_timestamp()
            synthetic = synthetic_control(
                stacked, city, donors, present, first_post, window_end, alpha=alpha
            )
        if synthetic is not None and not synthetic["can_reach_level"]:
            notes.append(
                f"With {len(donors)} comparison cities the placebo-in-space test cannot reach "
                f"the {1 - alpha:.0%} level: its smallest possible p-value is "
                f"{synthetic['smallest_p_value']:.2f}. A download with more cities would give "
                "it a real donor pool."
            )
    else:
        notes.append(
            "No city in the data is eligible as a comparison; the comparative and "
            "synthetic-control checks could not be made."
        )

    placebo = placebo_in_time(
        series,
        first_post,
        spec,
        window=window,
        min_pre=min_pre_placebo,
        stacked=stacked,
        treated=city,
    )
    rr = primary.rate_ratio
    rank_p = rank_p_value(rr["estimate"], placebo) if not placebo.empty else float("nan")
    if placebo.empty:
        notes.append(
            f"Too short a history before {first_post:%B %Y} for placebo dates "
            f"(each needs {min_pre_placebo} months before it and a {window}-month "
            "window before the real date)."
        )
    departure = chk.projection_departure(primary)
    damped = damped_ratio(series, primary.t0, primary.n_post, spec)
    comp_primary = None
    if comparative is not None:
        row = comparative.set_index("period").loc["first_year"]
        comp_primary = (float(row["lower"]), float(row["upper"]))
    checks = chk.evaluate(
        (rr["lower"], rr["upper"]),
        comp_primary,
        None if placebo.empty else rank_p,
        departure,
        (damped["lower"], damped["upper"]),
        alpha,
    )
    plain, unq = _false_alarms(placebo, alpha, with_comparative=stacked is not None)
    sens = pd.DataFrame(
        columns=["group", "variant", "estimate", "lower", "upper", "p_value", "error"]
    )
    if setup.extras:
        sens = sensitivity(
            series,
            other_measure,
            first_post,
            spec,
            window=window,
            intervention=intervention,
            min_pre=min_pre_placebo,
        )
    return Robustness(
        periods=present,
        window_months=window,
        period_estimates=period_estimates,
        before_after=_before_after(series, first_post, present),
        controls=controls,
        comparative=comparative,
        comparative_city_trends=comparative_trends,
        event_study=events,
        synthetic=synthetic,
        placebo_time=placebo,
        placebo_rank_p_value=rank_p,
        false_alarm_plain=plain,
        false_alarm_unqualified=unq,
        sensitivity=sens,
        departure=departure,
        damped=damped,
        checks=checks,
        notes=notes,
    )


def _false_alarms(placebo: pd.DataFrame, alpha: float, *, with_comparative: bool):
    """Shares of placebo dates where the plain rule fires and where every check agrees."""
    if placebo.empty:
        return float("nan"), float("nan")
    plain = unq = 0
    for _, r in placebo.iterrows():
        comp = (r["comparative_lower"], r["comparative_upper"]) if with_comparative else None
        c = chk.evaluate(
            (r["lower"], r["upper"]),
            comp,
            r["rank_p_value"],
            r["departure"],
            (r["damped_lower"], r["damped_upper"]),
            alpha,
        )
        plain += bool(c["primary"])
        unq += chk.unqualified(c)
    n = len(placebo)
    return plain / n, unq / n
