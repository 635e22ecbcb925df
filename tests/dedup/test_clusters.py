"""Exact and near dedup, clusters, reference dedup, decontamination."""

from __future__ import annotations

import numpy as np
import orjson

from afs.samples import TrainingSample
from afs.samples.frame import concat_frames, samples_to_frame
from afs.dedup import minhash
from afs.dedup.config import DedupConfig
from afs.dedup.reference import decontaminate, dedup_against_reference
from afs.dedup.clusters import deduplicate, duplicate_clusters

ROUTINE = "\n".join(f"  LDA ${i:02X}\n  STA $7E{i:04X}\n  INC A" for i in range(20))


def frame(*samples):
    return samples_to_frame(list(samples))


def test_lda_10_and_12_are_close_but_not_merged():
    sigs = minhash.signatures(["  LDA $10", "  LDA $12", "  LDA $10"])
    assert (sigs[0] == sigs[2]).all() and not (sigs[0] == sigs[1]).all()
    result = deduplicate(frame(TrainingSample("Load", "  LDA $10"),
                               TrainingSample("Load", "  LDA $12")))
    assert len(result.kept) == 2 and result.clusters == {}


def test_exact_duplicates_keep_the_best_member():
    a = TrainingSample("What does X do?", ROUTINE, quality_score=0.3)
    b = TrainingSample("what  does X do?", ROUTINE + "\n", quality_score=0.8)
    result = deduplicate(frame(a, b), DedupConfig(near=False))
    assert result.kept["sample_id"].tolist() == [b.sample_id]
    assert result.rejects["reject_reason"].tolist() == [f"duplicate_of:{b.sample_id}"]
    assert result.clusters == {b.sample_id: [b.sample_id, a.sample_id]}


def test_near_identical_routines_merge_and_clusters_are_recorded():
    a = TrainingSample("What does Foo do?", ROUTINE, quality_score=0.5)
    b = TrainingSample("What does Foo do?", ROUTINE.replace("$7E0005", "$7E0099"),
                       quality_score=0.9)
    c = TrainingSample("Other", "Unrelated prose answer.", quality_score=0.1)
    result = deduplicate(frame(a, b, c))
    assert sorted(result.kept["sample_id"]) == sorted([b.sample_id, c.sample_id])
    assert result.rejects["reject_reason"].tolist() == [f"near_duplicate_of:{b.sample_id}"]
    assert result.clusters == {b.sample_id: [b.sample_id, a.sample_id]}
    everything = concat_frames([result.kept, result.rejects])
    assert duplicate_clusters(everything) == {b.sample_id: [b.sample_id, a.sample_id]}
    kept_meta = orjson.loads(result.kept.set_index("sample_id").loc[b.sample_id, "_metadata"])
    assert kept_meta["dup_cluster"] == b.sample_id


def test_ties_go_to_the_smallest_sample_id_and_runs_are_deterministic():
    samples = [TrainingSample(f"Q{i}", ROUTINE.replace("$7E0003", f"$7E{i:04X}"),
                              quality_score=0.5) for i in range(30, 36)]
    first = deduplicate(frame(*samples))
    again = deduplicate(frame(*reversed(samples)))
    assert first.kept["sample_id"].tolist() == [min(s.sample_id for s in samples)]
    assert first.clusters == again.clusters
    assert np.array_equal(minhash.signatures([ROUTINE]), minhash.signatures([ROUTINE]))


def test_signatures_match_datasketch_jaccard_scale():
    sigs = minhash.signatures([ROUTINE, ROUTINE.replace("$7E0005", "$7E0099")], num_perm=256)
    left, right = minhash.lean_minhash(sigs[0]), minhash.lean_minhash(sigs[1])
    assert 0.8 < left.jaccard(right) < 1.0


def test_reference_dedup_drops_what_was_seen():
    old = TrainingSample("What does Foo do?", ROUTINE)
    seen_nearly = TrainingSample("What does Foo do?", ROUTINE.replace("$7E0005", "$7E0099"))
    seen_exactly = TrainingSample("what does foo do?", ROUTINE)
    fresh = TrainingSample("New", "A new answer.")
    kept, rejects = dedup_against_reference(frame(seen_nearly, fresh, seen_exactly), frame(old))
    assert kept["sample_id"].tolist() == [fresh.sample_id]
    assert rejects["reject_reason"].tolist() == [f"seen_in_reference:{old.sample_id}"] * 2
    assert set(rejects["reject_step"]) == {"reference_dedup"}


def test_decontamination_by_token_ngrams():
    eval_sample = TrainingSample("Eval", "\n".join(ROUTINE.splitlines()[6:12]))
    short_eval = TrainingSample("x", "y")
    leaked = TrainingSample("Train", ROUTINE)
    clean = TrainingSample("Train", "LDA $10 then something else entirely different here.")
    kept, rejects = decontaminate(frame(leaked, clean), frame(eval_sample, short_eval))
    assert kept["sample_id"].tolist() == [clean.sample_id]
    assert rejects["reject_reason"].tolist() == [f"contaminated:{eval_sample.sample_id}"]
    kept, rejects = decontaminate(frame(leaked, clean), frame(eval_sample), ngram_size=400)
    assert len(rejects) == 0


def test_the_signatures_report_their_progress_and_deduplicate_the_same():
    """`afs training dedup`'s clustering showed nothing for ~30 s: the signatures (its long
    part) are an afs.progress phase, counted in texts as each chunk is signed."""
    import io

    from afs.generators.synthetic import synthetic_samples
    from afs.progress import Reporter

    frame = synthetic_samples(6000, seed=4)  # a few MiB of text: several chunks
    stream = io.StringIO()
    watched = deduplicate(frame, progress=Reporter(stream=stream, every=0.0, quiet_for=0.0))
    lines = stream.getvalue().splitlines()
    # one text per exact-duplicate group is signed
    texts = len(frame) - sum(reason.startswith("duplicate_of:")
                             for reason in deduplicate(frame, DedupConfig(near=False),
                                                       progress=False).rejects["reject_reason"])
    assert lines[0] == f"dedup: near-duplicate signatures: {texts} texts"
    counts = [int(line.split(": ")[2].split("/")[0]) for line in lines[1:-1]]
    assert len(counts) > 1 and counts == sorted(counts) and counts[-1] == texts
    assert all("/s, ETA " in line for line in lines[1:-1])
    assert lines[-1].startswith("dedup: near-duplicate signatures: done in ")
    silent = deduplicate(frame, progress=False)
    assert watched.kept["sample_id"].tolist() == silent.kept["sample_id"].tolist()


def test_exact_codes_are_group_codes_of_the_leak_keys_in_any_chunks(monkeypatch):
    from afs.dedup import clusters
    from afs.samples.keys import group_codes, leak_keys
    from tests.planted import planted_frame

    frame = planted_frame(bases=80)
    monkeypatch.setattr(clusters, "EXACT_CHUNK_ROWS", 7)
    assert np.array_equal(clusters.exact_codes(frame), group_codes(leak_keys(frame)))
    assert len(clusters.exact_codes(frame.iloc[:0])) == 0


def test_labels_do_not_depend_on_the_signature_and_pair_chunks(monkeypatch):
    from afs.dedup import clusters
    from tests.planted import planted_frame

    frame = planted_frame(bases=120, seed=2)
    whole = clusters.cluster_labels(frame, DedupConfig())
    monkeypatch.setattr(clusters, "SIGNATURE_ROWS", 7)
    monkeypatch.setattr(minhash, "PAIR_CHUNK", 5)
    chunked = clusters.cluster_labels(frame, DedupConfig())
    assert all(np.array_equal(a, b) for a, b in zip(whole, chunked, strict=True))
    assert len(np.unique(whole[1])) < len(np.unique(whole[0])) < len(frame)
