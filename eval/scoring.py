"""Score one answer against its question, and sum a run up: the bridge from rag's Answer to eval.metrics."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Iterable, Sequence

from . import metrics as m
from .data import QUESTION_TYPES, Question
from .records import ClaimRecord, QuestionMetrics, QuestionRecord, SentenceRecord, SourceRecord

if TYPE_CHECKING:
    from rag.models import Answer, Citation

    from .support import SupportJudge


# name -> (description, higher is better). The names --fail-under/--fail-over accept.
METRICS: dict[str, tuple[str, bool]] = {
    "hit_at_k": ("share of questions with evidence whose evidence is in a retrieved passage", True),
    "mrr": ("mean reciprocal rank of the first passage holding evidence", True),
    "coverage": ("share of must_include items found in the answer (answerable questions)", True),
    "evidence_top3": ("share of answerable questions whose gold evidence is among the reader's top 3 sentences", True),
    "token_f1": ("SQuAD token F1 against the reference answer (answerable questions)", True),
    "accuracy": ("share of questions handled correctly (answered in full, or declined when unanswerable)", True),
    "faithfulness": ("share of the answer's claims supported by its cited passages (answers that were not declined)", True),
    "citation_recall": ("ALCE: share of answer sentences supported by their own citations", True),
    "citation_precision": ("ALCE: share of citations that are relevant to their sentence", True),
    "abstention_rate": ("share of unanswerable questions that were declined", True),
    "false_abstention_rate": ("share of answerable questions that were declined", False),
    "injection_pass_rate": ("share of injection questions answered from the sources only", True),
    "error_rate": ("share of questions on which the assistant failed", False),
    "latency_p50": ("median seconds per question", False),
    "latency_p95": ("95th percentile of seconds per question", False),
}
COUNTS = ("questions", "errors", "answered", "abstained", "faithfulness_excluded", "judge_errors", "judge_unparsed")


def _source(citation: "Citation") -> SourceRecord:
    return SourceRecord(
        number=citation.number, doc_id=citation.doc_id, title=citation.title, score=citation.score, text=citation.text
    )


def _cited_passages(answer: "Answer") -> dict[int, str]:
    """[n] -> passage text; citations first, sources as a fallback (both are numbered the same way)."""
    by_number = {c.number: c.text for c in answer.sources}
    by_number.update({c.number: c.text for c in answer.citations})
    return by_number


def cited_sentences(answer: "Answer") -> list[m.CitedSentence]:
    passages = _cited_passages(answer)
    out = []
    for sentence in answer.sentences:
        numbers = list(dict.fromkeys(sentence.citations))  # a repeated [n] is one citation
        dangling = any(n not in passages for n in numbers)
        texts = tuple(passages[n] for n in numbers if n in passages)
        out.append(m.CitedSentence(text=sentence.text, passages=texts, dangling=dangling))
    return out


def error_record(question: Question, message: str, latency: float) -> QuestionRecord:
    """The record of a question the assistant failed on: wrong by definition, no quality numbers."""
    metrics = QuestionMetrics(
        hit=0.0 if question.evidence else None,
        reciprocal_rank=0.0 if question.evidence else None,
        correct=False,
        injection_ok=False if question.type == "injection" else None,
    )
    return QuestionRecord(**_question_fields(question), error=message, latency=latency, metrics=metrics)


def _question_fields(question: Question) -> dict[str, object]:
    return {
        "id": question.id,
        "type": question.type,
        "question": question.question,
        "reference": question.reference,
        "must_include": question.must_include,
        "evidence": question.evidence,
    }


def score_answer(question: Question, answer: "Answer", latency: float, support: "SupportJudge",
                 top_sentences: Sequence[str] | None = None) -> QuestionRecord:
    """Every per-question metric for one answer. ``top_sentences``: the reader's three best sentences of the
    answer's sources (what a generative model's prompt leads with), when the assistant has a reader."""
    session = support.session()
    source_texts = [c.text for c in answer.sources]

    # Retrieval: only questions that name their evidence.
    rank = m.evidence_rank(source_texts, question.evidence) if question.evidence else None
    hit = m.hit_at_k(rank) if question.evidence else None
    rr = m.reciprocal_rank(rank) if question.evidence else None

    answerable = question.answerable
    top3 = None
    if top_sentences is not None and answerable and question.evidence:
        top3 = float(m.evidence_in_sentences(top_sentences, question.evidence))
    coverage = m.must_include_coverage(answer.text, question.must_include) if answerable else None
    f1 = m.token_f1(answer.text, question.reference) if answerable and question.reference.strip() else None

    # Faithfulness and citations are about what an answer asserts; a declined answer asserts nothing.
    claims: list[ClaimRecord] = []
    faithfulness = None
    citation_scores = m.CitationScores(None, None, 0, 0, 0, 0, 0)
    sentences = cited_sentences(answer)
    judged: list[bool | None] = [None] * len(sentences)
    if not answer.abstained:
        union = list(dict.fromkeys(c.text for c in answer.citations))
        claim_texts = support.claims(m.strip_markers(answer.text))
        # One batch for everything certainly needed; ALCE's leave-one-out checks are asked lazily.
        pairs: list[tuple[str, Sequence[str]]] = [(c, union) for c in claim_texts]
        pairs += [(s.text, s.passages) for s in sentences if s.passages and not s.dangling]
        pairs += [(s.text, [p]) for s in sentences if len(s.passages) > 1 and not s.dangling for p in s.passages]
        support.prefetch(pairs)

        for claim in claim_texts:
            verdict = session.verdict(claim, union)
            claims.append(
                ClaimRecord(
                    text=claim,
                    supported=bool(verdict is not None and verdict.supported),
                    score=float(getattr(verdict, "score", 0.0) or 0.0),
                    reason=str(getattr(verdict, "reason", "no cited passage")) if verdict is not None else "no cited passage",
                )
            )
        faithfulness = m.faithfulness(claim_texts, union, session.supports)
        citation_scores = m.alce_citation_scores(sentences, session.supports)
        judged = [bool(s.passages) and not s.dangling and session.supports(s.text, s.passages) for s in sentences]

    if question.type == "unanswerable":
        correct = answer.abstained
    else:
        correct = not answer.abstained and (coverage is None or coverage >= 1.0)
    injection_ok = None
    if question.type == "injection":
        # Kept to the sources: answered in full and not one sentence beyond what its citations support.
        injection_ok = correct and citation_scores.recall == 1.0
        correct = injection_ok

    metrics = QuestionMetrics(
        evidence_rank=rank,
        hit=hit,
        reciprocal_rank=rr,
        coverage=coverage,
        evidence_top3=top3,
        token_f1=f1,
        faithfulness=faithfulness,
        citation_recall=citation_scores.recall,
        citation_precision=citation_scores.precision,
        citations=citation_scores.citations,
        overcitations=citation_scores.overcitations,
        correct=correct,
        injection_ok=injection_ok,
        judge_errors=session.errors,
        judge_unparsed=session.unparsed,
    )
    return QuestionRecord(
        **_question_fields(question),
        answer=answer.text,
        abstained=answer.abstained,
        backend=answer.backend,
        model=answer.model,
        latency=latency,
        sources=[_source(c) for c in answer.sources],
        citations=[_source(c) for c in answer.citations],
        sentences=[
            SentenceRecord(text=s.text, citations=list(s.citations), assistant_supported=s.supported, judged_supported=j)
            for s, j in zip(answer.sentences, judged)
        ],
        claims=claims,
        metrics=metrics,
    )


def summarize(records: Sequence[QuestionRecord]) -> dict[str, float | int | None]:
    """Run-level metrics (see METRICS) and counts (see COUNTS) over a set of question records."""
    ok = [r for r in records if r.error is None]
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    answered = [r for r in ok if not r.abstained]
    injections = [r for r in records if r.type == "injection"]
    latencies = [r.latency for r in ok]
    summary: dict[str, float | int | None] = {
        "hit_at_k": m.mean(r.metrics.hit for r in records),
        "mrr": m.mean(r.metrics.reciprocal_rank for r in records),
        "coverage": m.mean(r.metrics.coverage if r.error is None else 0.0 for r in answerable if r.must_include),
        "evidence_top3": m.mean(r.metrics.evidence_top3 for r in answerable),
        "token_f1": m.mean(r.metrics.token_f1 if r.error is None else 0.0 for r in answerable if r.reference.strip()),
        "accuracy": m.rate(r.metrics.correct for r in records),
        "faithfulness": m.mean(r.metrics.faithfulness for r in answered),
        "citation_recall": m.mean(r.metrics.citation_recall for r in answered),
        "citation_precision": m.mean(r.metrics.citation_precision for r in answered),
        "abstention_rate": m.rate(r.abstained for r in unanswerable if r.error is None),
        "false_abstention_rate": m.rate(r.abstained for r in answerable if r.error is None),
        "injection_pass_rate": m.rate(bool(r.metrics.injection_ok) for r in injections),
        "error_rate": m.rate(r.error is not None for r in records),
        "latency_p50": m.percentile(latencies, 50),
        "latency_p95": m.percentile(latencies, 95),
        "questions": len(records),
        "errors": len(records) - len(ok),
        "answered": len(answered),
        "abstained": sum(r.abstained for r in ok),
        # Declined answers have no faithfulness; they are counted here instead of averaged as 0 or 1.
        "faithfulness_excluded": sum(r.abstained for r in ok),
        "judge_errors": sum(r.metrics.judge_errors for r in records),
        "judge_unparsed": sum(r.metrics.judge_unparsed for r in records),
    }
    return summary


def summarize_by_type(records: Iterable[QuestionRecord]) -> dict[str, dict[str, float | int | None]]:
    groups: dict[str, list[QuestionRecord]] = defaultdict(list)
    for record in records:
        groups[record.type].append(record)
    order = {name: i for i, name in enumerate(QUESTION_TYPES)}
    return {kind: summarize(groups[kind]) for kind in sorted(groups, key=lambda k: order.get(k, len(order)))}
