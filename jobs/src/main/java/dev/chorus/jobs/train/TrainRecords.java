package dev.chorus.jobs.train;

import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.JobSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/** The train job's output records, built from a task's {@link TrainerState}: what a snapshot or a log line says. */
final class TrainRecords {

    private TrainRecords() {}

    /**
     * The task's model snapshot at its current version, with its prequential metrics and provenance (the job, the
     * source topic, the BLAS backend and, for a label-model task, the method).
     */
    static ModelSnapshot snapshot(TrainerState s, String task, String variant, double prequentialLoss, String sourceTopic,
            String blasBackend, long now) {
        long version = s.version();
        ModelSpec spec = s.model.spec();
        Map<String, Double> metrics = new LinkedHashMap<>();
        metrics.put("prequentialAccuracy", s.prequential.value());
        metrics.put("prequentialLoss", prequentialLoss);
        metrics.put("prequentialWindowCount", (double) s.prequential.count());
        metrics.put("predictions", (double) s.predictions);
        Map<String, String> provenance = new LinkedHashMap<>();
        provenance.put("job", "chorus-train");
        provenance.put("sourceTopic", sourceTopic);
        provenance.put("blasBackend", blasBackend);
        if (s.skipGram != null) {
            metrics.put("pairs", (double) s.skipGram.pairs());
        }
        if (s.labelModel != null) {
            metrics.put("annotators", (double) s.labelModel.annotatorCount());
            metrics.put("annotatorEvictions", (double) s.labelModel.annotatorEvictions());
            if (s.labelModel.history() != null) {
                metrics.put("historyItems", (double) s.labelModel.history().size());
                metrics.put("historyEvictions", (double) s.labelModel.history().evictions());
            }
            provenance.put("labelModel", s.labelModel.name());
        }
        return ModelSnapshot.newBuilder()
                .setTask(task)
                .setVariant(variant)
                .setVersion(version)
                .setAlgorithm(spec.algorithm())
                .setSpec(spec.toJson())
                .setParametersFormat(s.largeOutput != null ? LargeOutputModel.FORMAT_VERSION
                        : s.hashed != null ? s.hashed.formatVersion()
                        : s.wideDeep != null ? WideDeepModel.FORMAT_VERSION
                        : s.skipGram != null ? SkipGram.FORMAT_VERSION
                        : s.labelModel != null ? LabelModels.FORMAT_VERSION : OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(s.labelModel != null ? s.labelModel.toSnapshotBytes() : s.model.toBytes()))
                .setExamplesSeen(s.model.examplesSeen())
                .setMetrics(metrics)
                .setCreatedAt(now)
                .setProvenance(provenance)
                .build();
    }

    /**
     * Where the open minibatch's rows came from, per partition: {@code partition 0 offsets 12..139 (128 rows)};
     * {@code partition ? …} for rows restored from a state that did not record it.
     */
    static String coordinates(TrainerState s) {
        Map<Integer, long[]> byPartition = new TreeMap<>();
        for (int i = 0; i < s.batchFill; i++) {
            long offset = s.batchOffsets[i];
            long[] range = byPartition.computeIfAbsent(s.batchPartitions[i],
                    p -> new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 0});
            range[0] = Math.min(range[0], offset);
            range[1] = Math.max(range[1], offset);
            range[2]++;
        }
        StringJoiner joined = new StringJoiner(", ");
        byPartition.forEach((partition, range) -> joined.add("partition " + (partition < 0 ? "?" : partition)
                + " offsets " + range[0] + ".." + range[1] + " (" + range[2] + " rows)"));
        return joined.toString();
    }

    /**
     * The key of an annotator's records on the compacted annotators topic: {@code task/annotator} for variant
     * {@code default} (the key from before variants), {@code task/annotator U+001F variant} for any other, so that two
     * variants' estimates of one annotator never compact each other (task, annotator and variant names hold no
     * control character: {@link dev.chorus.jobs.ExampleValidator#name}). The task is written as {@link #keyTask}
     * writes it, so the first {@code /} ends it.
     */
    public static String annotatorKey(String task, String variant, String annotator) {
        return perVariant(keyTask(task) + "/" + annotator, variant);
    }

    /** The key of an item's records on the compacted consensus topic, per variant like {@link #annotatorKey}. */
    public static String consensusKey(String task, String variant, String item) {
        return perVariant(keyTask(task) + "/" + item, variant);
    }

    /**
     * A task as the first part of an annotator or consensus key: {@code %} as {@code %25} and {@code /} as
     * {@code %2F}, so that task {@code a} with annotator {@code b/c} and task {@code a/b} with annotator {@code c} do
     * not share key {@code a/b/c} (compaction would keep one of them, and a tombstone of one delete the other). A task
     * with neither is itself: its keys are those written before.
     */
    static String keyTask(String task) {
        return task.indexOf('/') < 0 && task.indexOf('%') < 0 ? task
                : task.replace("%", "%25").replace("/", "%2F");
    }

    private static String perVariant(String key, String variant) {
        return JobSettings.DEFAULT_VARIANT.equals(variant) ? key : key + Variants.SEPARATOR + variant;
    }

    static AnnotatorModel annotatorRecord(String task, String variant,
            dev.chorus.core.annotators.AnnotatorModel annotator, long version, long now) {
        double[][] confusion = annotator.confusion();
        int k = confusion.length;
        float[] packed = new float[k * k];
        for (int t = 0; t < k; t++) {
            for (int c = 0; c < k; c++) {
                packed[t * k + c] = (float) confusion[t][c];
            }
        }
        return AnnotatorModel.newBuilder()
                .setTask(task)
                .setVariant(variant)
                .setAnnotator(annotator.id())
                .setVersion(version)
                .setNumClasses(k)
                .setConfusion(Float32.pack(packed))
                .setReliability(annotator.reliability())
                .setWeight(Double.isNaN(annotator.weight()) ? null : annotator.weight())
                .setLabelsSeen(annotator.labelsSeen())
                .setUpdatedAt(now)
                .build();
    }
}
