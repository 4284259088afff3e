"""The declared uncertainty of the inputs (``assumptions/uncertainty.toml``; docs/uncertainty.md).

Each uncertain input is declared once here (:data:`INPUTS`: what it acts on and the
distributions it may take) and given its width in the TOML file, with the evidence for it. The
reader validates the file and names the file and key of every problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError

SPEC_FILE = "assumptions/uncertainty.toml"
"""Where an inputs directory declares its uncertainty."""

DISTRIBUTIONS = ("lognormal", "normal", "triangular", "discrete")


@dataclass(frozen=True)
class Declared:
    """An uncertain input: what a draw's value means and which distributions it may take."""

    label: str
    """Norwegian label (tables, the driver ranking)."""
    meaning: str
    distributions: tuple[str, ...]
    per_group: bool = True
    """Whether the input may vary by group."""
    max_sd: float | None = None
    """The largest width accepted (a drift of 2 % a year moves P or E by half in 25 years)."""


INPUTS: dict[str, Declared] = {
    "graduates": Declared("Nyutdannede", "factor on the graduates", ("lognormal",)),
    "immigrants": Declared("Innvandrere", "factor on the immigrants", ("lognormal",)),
    "exits": Declared("Andre avganger", "factor on the other-exit probability", ("lognormal",)),
    "p_drift": Declared(
        "Yrkesdeltakelse (P), drift", "relative change of P per year", ("normal",), max_sd=0.02
    ),
    "e_drift": Declared(
        "Arbeidstid (E), drift", "relative change of E per year", ("normal",), max_sd=0.02
    ),
    "sick_leave_drift": Declared(
        "Sykefravær, drift",
        "relative change of the sick-leave share per year",
        ("normal",),
        max_sd=0.05,
    ),
    "standardvekst": Declared(
        "Standardvekst",
        "growth of årsverk per user per year",
        ("normal",),
        per_group=False,
        max_sd=0.02,
    ),
    "friskere_aldring": Declared(
        "Friskere aldring",
        "strength of healthier ageing (1 = reference)",
        ("triangular", "normal"),
        per_group=False,
    ),
    "initial_shortage": Declared(
        "Underskudd i basisåret",
        "factor on the base-year shortage",
        ("normal",),
        per_group=False,
    ),
    "befolkning": Declared(
        "Befolkningsalternativ",
        "SSB's population alternative",
        ("discrete",),
        per_group=False,
    ),
    # Last, so that the other inputs keep their random streams (draws.sample spawns them in
    # this order).
    "staffing_drift": Declared(
        "Bemanningssammensetning, drift",
        "relative change per year of the group's share of every service area's årsverk",
        ("normal",),
        max_sd=0.02,
    ),
}
"""Every uncertain input, declared once."""


@dataclass(frozen=True)
class Uncertain:
    """One declared input with its distribution (from the TOML file)."""

    name: str
    distribution: str
    params: dict[str, float]
    """lognormal: sd; normal: mean, sd, lo, hi; triangular: lo, mode, hi."""
    by_group: bool = False
    correlation: float = 0.0
    group_sd: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    """discrete: value → weight (normalised to sum 1)."""
    kind: str = "judgement"
    evidence: str = ""

    @property
    def is_zero(self) -> bool:
        """No width: every draw takes the centre."""
        if self.distribution == "discrete":
            return sum(w > 0 for w in self.weights.values()) <= 1
        if self.distribution == "triangular":
            return self.params["lo"] == self.params["hi"]
        return self.params["sd"] == 0 and all(v == 0 for v in self.group_sd.values())


@dataclass(frozen=True)
class UncertaintySpec:
    """The declared uncertainty of an inputs directory."""

    inputs: dict[str, Uncertain]
    source: str

    def with_zero(self, *names: str) -> UncertaintySpec:
        """The same with the named inputs (all when none is named) at their centre."""
        out = {}
        for name, u in self.inputs.items():
            if names and name not in names:
                out[name] = u
                continue
            if u.distribution == "discrete":
                first = max(u.weights, key=lambda k: u.weights[k])
                out[name] = _replace(u, weights={first: 1.0})
            elif u.distribution == "triangular":
                m = u.params["mode"]
                out[name] = _replace(u, params={"lo": m, "mode": m, "hi": m})
            else:
                out[name] = _replace(u, params={**u.params, "sd": 0.0}, group_sd={})
        return UncertaintySpec(out, self.source)


def _replace(u: Uncertain, **changes: Any) -> Uncertain:
    from dataclasses import replace

    return replace(u, **changes)


def read_spec(
    path: Path, groups: tuple[str, ...], alternatives: tuple[str, ...], reference: str = ""
) -> UncertaintySpec:
    """Read and validate an uncertainty file; every problem names the file and the key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: missing file (the declared uncertainty; see docs/uncertainty.md)"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        what = "is a directory, not a TOML file" if path.is_dir() else (exc.strerror or str(exc))
        raise ConfigError(f"{path}: cannot be read ({what})") from exc
    return spec_from_dict(raw, groups, alternatives, str(path), reference)


def spec_from_dict(
    raw: dict[str, Any],
    groups: tuple[str, ...],
    alternatives: tuple[str, ...],
    source: str,
    reference: str = "",
) -> UncertaintySpec:
    """The same checks on the tables of a file already parsed (``hm.simulate(spec={...})``)."""
    path = source
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(
            f"{path}: declares no uncertain input (expected tables such as [graduates]; "
            "docs/uncertainty.md). To switch every input off, give each a width of 0"
        )
    problems: list[str] = []
    unknown = sorted(set(raw) - set(INPUTS))
    if unknown:
        problems.append(
            f"{path}: unknown table(s) {', '.join(f'[{u}]' for u in unknown)} (expected "
            f"{', '.join(INPUTS)})"
        )
    out = {}
    for name, table in raw.items():
        if name not in INPUTS:
            continue
        if not isinstance(table, dict):
            problems.append(f"{path}: [{name}] must be a table")
            continue
        u = _read_one(path, name, table, groups, alternatives, problems, reference)
        if u is not None:
            out[name] = u
    if problems:
        raise ConfigError(problems)
    return UncertaintySpec(out, source)


_COMMON = {"distribution", "by_group", "correlation", "groups", "kind", "evidence"}
_PARAMS = {
    "lognormal": ({"sd"}, set()),
    "normal": ({"sd"}, {"mean", "lo", "hi"}),
    "triangular": ({"lo", "mode", "hi"}, set()),
    "discrete": ({"weights"}, set()),
}


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) < 1e9


def _read_one(  # noqa: C901 - one check per key, each with its own message
    path: str,
    name: str,
    t: dict[str, Any],
    groups: tuple[str, ...],
    alternatives: tuple[str, ...],
    problems: list[str],
    reference: str = "",
) -> Uncertain | None:
    where = f"{path}: [{name}]"
    decl = INPUTS[name]
    dist = t.get("distribution")
    if dist not in decl.distributions:
        problems.append(
            f"{where} distribution must be {' or '.join(repr(d) for d in decl.distributions)}, "
            f"got {dist!r}"
        )
        return None
    required, optional = _PARAMS[dist]
    extra = sorted(set(t) - _COMMON - required - optional)
    if extra:
        problems.append(f"{where}: unknown key(s) {', '.join(extra)} for a {dist} distribution")
    missing = sorted(required - set(t))
    if missing:
        problems.append(f"{where}: missing key(s) {', '.join(missing)}")
        return None
    n0 = len(problems)
    params: dict[str, float] = {}
    for key in sorted((required | optional) - {"weights"}):
        if key in t:
            if not _number(t[key]):
                problems.append(f"{where} {key} must be a number, got {t[key]!r}")
            else:
                params[key] = float(t[key])
    if name == "standardvekst" and "mean" in params:
        problems.append(
            f"{where}: no mean - the centre is the reference's standard growth "
            "(parameters.csv standard_growth), so that draw 0 is the reference"
        )
    if "sd" in params and params["sd"] < 0:
        problems.append(f"{where} sd must be >= 0, got {params['sd']:g}")
    if dist == "lognormal" and params.get("sd", 0) > 2:
        problems.append(f"{where} sd must be <= 2 (the sd of the log of a factor)")
    widest = [params.get("sd", 0.0), *(v for v in (t.get("groups") or {}).values() if _number(v))]
    if decl.max_sd is not None and max(widest) > decl.max_sd:
        problems.append(
            f"{where} sd must be <= {decl.max_sd:g} ({decl.meaning}; a wider drift takes P, E or "
            f"the share past their bounds within the projection), got {max(widest):g}"
        )
    if dist == "triangular" and len(params) == 3:
        if not params["lo"] <= params["mode"] <= params["hi"]:
            problems.append(f"{where}: needs lo <= mode <= hi")
        if params["lo"] < 0:
            problems.append(f"{where} lo must be >= 0 (a strength), got {params['lo']:g}")
    factor = name in ("initial_shortage", "friskere_aldring") and dist == "normal"
    if factor and (params.get("mean", 1.0) < 0 or params.get("lo", 0.0) < 0):
        problems.append(f"{where}: a factor: mean and lo must be >= 0")
    if dist == "normal" and "lo" in params and "hi" in params and params["lo"] > params["hi"]:
        problems.append(f"{where}: needs lo <= hi")
    by_group = t.get("by_group", False)
    if not isinstance(by_group, bool):
        problems.append(f"{where} by_group must be true or false, got {by_group!r}")
        by_group = False
    if by_group and not decl.per_group:
        problems.append(f"{where} by_group: {name} is one value for all groups")
    corr = t.get("correlation", 0.0)
    if not _number(corr) or not 0.0 <= corr <= 1.0:
        problems.append(f"{where} correlation must be a number in [0, 1], got {corr!r}")
        corr = 0.0
    group_sd: dict[str, float] = {}
    if t.get("groups") and not by_group:
        problems.append(f"{where} groups: per-group widths need by_group = true")
    for g, v in (t.get("groups") or {}).items():
        if g not in groups:
            problems.append(f"{where} groups: unknown group {g!r}")
        elif not by_group:
            continue
        elif not _number(v) or v < 0:
            problems.append(f"{where} groups.{g} must be a number >= 0, got {v!r}")
        else:
            group_sd[g] = float(v)
    weights: dict[str, float] = {}
    if dist == "discrete":
        w = t.get("weights")
        if not isinstance(w, dict) or not w:
            problems.append(f"{where} weights must be a table of alternative = weight")
        else:
            for k, v in w.items():
                if k not in alternatives:
                    problems.append(
                        f"{where} weights: {k!r} is not a population alternative of the inputs "
                        f"({', '.join(alternatives)})"
                    )
                elif not _number(v) or v < 0:
                    problems.append(f"{where} weights.{k} must be a number >= 0, got {v!r}")
                else:
                    weights[k] = float(v)
            if weights and sum(weights.values()) <= 0:
                problems.append(f"{where} weights must not all be 0")
            elif weights and abs(sum(weights.values()) - 1.0) > 1e-6:
                problems.append(f"{where} weights must add up to 1, got {sum(weights.values()):g}")
            positive = [k for k, v in weights.items() if v > 0]
            reference = reference or alternatives[0]
            if len(positive) == 1 and positive[0] != reference and len(weights) == len(w):
                problems.append(
                    f"{where} weights put every draw on {positive[0]}: that is a scenario, not "
                    f"an uncertainty (e.g. the shipped befolkning_{positive[0].lower()}); give "
                    "several alternatives weights, or the reference alone to switch it off"
                )
    kind = t.get("kind")
    if kind not in ("evidence", "judgement"):
        problems.append(
            f'{where} kind must be "evidence" or "judgement" (every width says what it rests '
            f"on), got {kind!r}"
        )
    one_value = dist == "triangular" and len(params) == 3 and params["lo"] == params["hi"]
    if one_value and params["mode"] != 1.0:
        problems.append(
            f"{where}: lo = mode = hi = {params['mode']:g} is one value for every draw, not "
            "an uncertainty (draw 0 is the reference, strength 1); set it in a scenario "
            "([friskere_aldring] strength) or give lo < hi"
        )
    if len(problems) > n0:
        return None
    total = sum(weights.values())
    return Uncertain(
        name=name,
        distribution=dist,
        params=params,
        by_group=bool(by_group),
        correlation=float(corr),
        group_sd=group_sd,
        weights={k: v / total for k, v in weights.items()} if weights else {},
        kind=str(kind),
        evidence=str(t.get("evidence", "")),
    )
