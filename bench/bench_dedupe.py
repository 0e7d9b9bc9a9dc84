"""Deduplication cost: `dedupe` on 10,000 and 100,000 generated postings, against a baseline
measured in the same run (building the three blocking indexes over the same Posting
objects: the linear work any matcher must do), plus pairwise precision/recall on the generator's truth."""
from __future__ import annotations

import gc
import random
import time
from collections import Counter, defaultdict
from datetime import date, timedelta

from pipeline.dedupe import Posting, dedupe, reference_key
from pipeline.urls import canonical_url

SIZES = (10_000, 100_000)
TARGET_SECONDS = 3.0  # for 100,000 postings (issue 11)
TARGET_RATIO = 12.0  # 100k time / 10k time (issue 11)
REPEAT = {10_000: 10, 100_000: 5}  # best of: the small run is short, so noisier
POSTINGS_PER_DAY = 650  # all boards together: 10,000 postings are about two weeks of crawling
START = date(2025, 10, 1)
CSP = "https://choisirleservicepublic.gouv.fr/offre-emploi/"
ET = "https://www.emploi-territorial.fr/offre/"

STATE = ["ministere des armees", "ministere de l interieur", "ministere de la justice", "dgfip", "insee",
         "rectorat de paris", "universite de lyon 2", "dinum", "ministere de la transition ecologique",
         "agence regionale de sante", "direction generale de l aviation civile", "cnrs", "meteo france",
         "ministere de l agriculture", "caisse des depots", "cour des comptes", "drsd", "ign", "anssi", "urssaf"]
TITLES = ["chef de projet numerique", "developpeur full stack", "administrateur systemes et reseaux",
          "technicien support informatique", "data scientist", "data engineer", "chef de projet si",
          "responsable securite des systemes d information", "architecte technique", "product owner",
          "gestionnaire ressources humaines", "assistant de direction", "charge de recrutement",
          "gestionnaire budgetaire et comptable", "juriste", "chef de bureau", "adjoint au chef de bureau",
          "ingenieur devops", "ux designer", "analyste cybersecurite", "technicien de proximite",
          "responsable d applications", "chef de service informatique", "webmestre", "urbaniste si",
          "directeur des systemes d information", "agent d accueil", "archiviste", "charge de communication",
          "administrateur base de donnees", "ingenieur reseau", "technicien telecom", "chef de projet data",
          "delegue a la protection des donnees", "gestionnaire marches publics", "secretaire general"]
#: Real titles name the service (the 2021 exports: 606 rows, only 48 (title, department) repeats, mostly
#: duplicates or parallel positions): 70 % of generated titles get one of these 140 units.
UNITS = ["bureau", "pole", "service", "cellule", "departement", "mission", "sous direction"]
TOPICS = ["data", "applications", "infrastructure", "support", "budget", "achats", "ressources humaines",
          "securite", "reseaux", "etudes", "projets", "usagers", "juridique", "logistique", "communication",
          "innovation", "pilotage", "exploitation", "architecture", "formation"]
WORDS = ("pilotage projet equipe agents service direction applications donnees securite reseau support "
         "utilisateurs budget marches prestataires qualite conformite architecture infrastructure cloud "
         "developpement maintenance exploitation supervision accompagnement formation documentation reporting "
         "strategie transformation numerique usagers partenaires collectivite ministere procedure dossier "
         "recrutement evaluation analyse conception deploiement integration tests recette incidents").split()


def _sentences(rng: random.Random, n: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=rng.randint(12, 22))).capitalize() + "." for _ in range(n)]


def generate(n: int, seed: int = 5) -> tuple[list[dict], list[int]]:
    """`n` posting field dicts with realistic duplicates, and each posting's true job id."""
    rng = random.Random(seed)
    pool = _sentences(rng, 400)
    communes = [f"commune de ville {k}" for k in range(3000)]
    employers = STATE + communes
    weights = [400.0 / (r + 1) ** 0.9 for r in range(len(STATE))] + [1.0] * len(communes)
    home = {e: f"{rng.randint(1, 95):02d}" for e in employers}
    out: list[dict] = []
    truth: list[int] = []
    seq = 1_000_000
    span = n / POSTINGS_PER_DAY
    job = 0

    def emit(job_id: int, **fields) -> None:
        fields.setdefault("first_seen_at", f"{fields.get('published_on') or '2026-10-01'}T06:00:00Z")
        out.append(fields)
        truth.append(job_id)

    while len(out) < n:
        job += 1
        seq += rng.randint(1, 9)
        employer = rng.choices(employers, weights)[0]
        state = employer in STATE
        dep = ("75" if rng.random() < 0.5 else f"{rng.randint(1, 95):02d}") if state else home[employer]
        title = rng.choice(TITLES[: rng.randint(4, len(TITLES))])
        if rng.random() < 0.7:
            title += f" {rng.choice(UNITS)} {rng.choice(TOPICS)}"
        text = " ".join(rng.sample(pool, rng.randint(7, 12)))
        published = START + timedelta(days=int(span * len(out) / n))  # the crawl advances with the set
        pub = published.isoformat()
        ref = f"2026-{seq}" if state else f"O{int(dep):03d}{published:%y%m%d}{seq % 1_000_000:06d}"
        base = dict(title_key=title, employer_key=employer, department_code=dep, published_on=pub, text=text)
        slug = title.replace(" ", "-")
        if state or rng.random() < 0.6:  # territorial offers on CSP: the title ends with the employer
            shown = title if state else f"{title} {employer}"
            emit(job, source="csp", url=f"{CSP}{slug}-reference-{ref}/", reference=ref, completeness=9,
                 **{**base, "title_key": shown})
        if not state:
            emit(job, source="emploi-territorial", url=f"{ET}{ref.lower()}-{slug}", reference=ref.lower(),
                 completeness=11, **base)
        r = rng.random()
        if r < 0.25:
            emit(job, source="csp-opendata", url="", reference=ref.lower(), completeness=8, **base)
        if rng.random() < 0.05:
            emit(job, source="dinum-page", url=f"http://www.{CSP[8:]}{ref}?utm_source=news&xtor=RSS-{seq % 7}",
                 reference=None, completeness=3, **{**base, "text": ""})
        if rng.random() < 0.03 and state:
            emit(job, source="csp", url=f"{CSP}{slug}-reference-{ref}/", reference=ref, completeness=9, **base)
        if rng.random() < 0.03:  # republished under a new reference, 3 to 12 weeks later
            seq += 1
            moved = published + timedelta(days=rng.randint(21, 84))
            later = moved.isoformat()
            new = f"2026-{seq}" if state else f"O{int(dep):03d}{moved:%y%m%d}{seq % 1_000_000:06d}"
            emit(job, source="csp", url=f"{CSP}{slug}-reference-{new}/", reference=new, completeness=9,
                 **{**base, "published_on": later, "text": "Poste a pourvoir rapidement. " + text})
        if rng.random() < 0.05:  # parallel positions: same title and text, new references, same day
            for _ in range(rng.randint(1, 3)):
                job += 1
                seq += 1
                emit(job, source="csp", url=f"{CSP}{slug}-reference-2026-{seq}/", reference=f"2026-{seq}",
                     completeness=9, **base)
    for k, fields in enumerate(out):
        fields["posting_id"] = f"p{k:07d}"
    return out[:n], truth[:n]


def _pairwise(result, truth_of: dict[str, int]) -> tuple[float, float]:
    cells, true_sizes = Counter(), Counter(truth_of.values())
    for c in result.clusters:
        for pid in c.posting_ids:
            cells[(c.cluster_id, truth_of[pid])] += 1
    pairs = lambda k: k * (k - 1) // 2  # noqa: E731
    tp = sum(pairs(k) for k in cells.values())
    predicted = sum(pairs(len(c.members)) for c in result.clusters)
    actual = sum(pairs(k) for k in true_sizes.values())
    return tp / predicted if predicted else 1.0, tp / actual if actual else 1.0


def _baseline(postings: list[Posting]) -> float:
    """The linear pass any matcher needs: index by reference, canonical URL and block
    (timed like `dedupe`, with the cyclic garbage collector paused)."""
    gc.disable()
    start = time.perf_counter()
    refs, urls, blocks = defaultdict(list), defaultdict(list), defaultdict(list)
    for i, p in enumerate(postings):
        if (key := reference_key(p.reference)):
            refs[key].append(i)
        if p.url:
            urls[canonical_url(p.url)].append(i)
        blocks[(p.employer_key, p.department_code)].append(i)
    took = time.perf_counter() - start
    gc.enable()
    return took


def run() -> list[str]:
    """Report lines: time per size, the 100k/10k ratio, the baseline and the ratio to it.

    Both sizes are generated first, then timed in alternation (rounds of two 10k runs and one
    100k run, best of each): a slow spell of the shared machine then hits both sizes alike."""
    lines, timings = [], {}
    dedupe([Posting(**r) for r in generate(500)[0]])  # warm-up: imports, regex and rapidfuzz set-up
    data = {}
    for n in SIZES:
        rows, truth = generate(n)
        data[n] = (rows, truth, [Posting(**r) for r in rows])
    base = {n: min(_baseline(data[n][2]) for _ in range(REPEAT[n])) for n in SIZES}
    took = dict.fromkeys(SIZES, float("inf"))
    results = {}
    rounds = min(REPEAT.values())
    for _ in range(rounds):
        for n in SIZES:
            for _ in range(REPEAT[n] // rounds):
                start = time.perf_counter()
                results[n] = dedupe(data[n][2])
                took[n] = min(took[n], time.perf_counter() - start)
    for n in SIZES:
        rows, truth, _ = data[n]
        result = results[n]
        timings[n] = took[n]
        start = time.perf_counter()
        reasons = len(result.rejected)  # written on first read: only `explain` and `to_dict` read them
        written = time.perf_counter() - start
        stages = Counter(m.stage for c in result.clusters for m in c.members[1:])
        precision, recall = _pairwise(result, {r["posting_id"]: t for r, t in zip(rows, truth)})
        lines.append(f"{n:,} postings ({len(set(truth)):,} true offers): dedupe {took[n]:.2f} s, "
                     f"{len(result.clusters):,} clusters, merges {dict(sorted(stages.items()))}, "
                     f"{reasons:,} rejected candidates (their reasons, written on demand: {written:.2f} s)")
        lines.append(f"  baseline (reference, canonical-URL and block indexes): {base[n]:.2f} s; "
                     f"dedupe / baseline = {took[n] / base[n]:.1f}x")
        lines.append(f"  pairwise precision {precision:.4f}, recall {recall:.4f} against the generator's truth")
    ratio = timings[SIZES[1]] / timings[SIZES[0]]
    lines.append(f"100k: {timings[SIZES[1]]:.2f} s (target <= {TARGET_SECONDS:.0f} s: "
                 f"{'met' if timings[SIZES[1]] <= TARGET_SECONDS else 'NOT met'}); "
                 f"100k/10k = {ratio:.1f} (target <= {TARGET_RATIO:.0f}: {'met' if ratio <= TARGET_RATIO else 'NOT met'}); "
                 f"timed in {rounds} alternating rounds, best of each size")
    return lines


if __name__ == "__main__":
    print("\n".join(run()))
