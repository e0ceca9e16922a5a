package dev.chorus.jobs.train;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online minibatch SGD per task, test-then-train: every example is first predicted with the current model
 * (the prediction carries that model's version), then, if labeled, added to the open minibatch. A minibatch
 * closes when it is full, or {@code batchTimeoutMs} after its first example on a slow stream. Model snapshots
 * go to {@link #MODEL_SNAPSHOTS} every {@code snapshotEveryBatches} updates, on a periodic timer when the model
 * changed, and at the end of a bounded input; their versions (= updates applied) strictly increase.
 *
 * <p>A minibatch whose update would make the model non-finite is rejected by model-core's numeric guard: it
 * is counted ({@code minibatchesRejected}), logged, and dropped, and the model keeps its last good parameters.
 *
 * <p>All training state lives in one {@link TrainerState} value per task, so a checkpoint captures parameters,
 * optimizer moments, RNG, step counts and the partial minibatch together and restores them exactly.
 */
public final class MinibatchSgdFunction extends KeyedProcessFunction<String, Example, Prediction> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<ModelSnapshot> MODEL_SNAPSHOTS =
            new OutputTag<>("model-snapshots", AvroTypes.of(ModelSnapshot.class));

    /** Event-time timer that fires only when a bounded input ends (the final watermark): flush and publish. */
    private static final long END_OF_INPUT = Long.MAX_VALUE;
    private static final Logger LOG = LoggerFactory.getLogger(MinibatchSgdFunction.class);

    private final TaskSpecs specs;
    private final int snapshotEveryBatches;
    private final long snapshotIntervalMs;
    private final long batchTimeoutMs;
    private final int prequentialWindow;
    private final String sourceTopic;

    private transient ValueState<TrainerState> state;
    private transient float[] probabilities;
    private transient Counter updates;
    private transient Counter rejected;
    private transient Counter snapshots;
    private transient String blasBackend;

    public MinibatchSgdFunction(TrainSettings settings) {
        this.specs = settings.specs();
        this.snapshotEveryBatches = settings.snapshotEveryBatches();
        this.snapshotIntervalMs = settings.snapshotIntervalMs();
        this.batchTimeoutMs = settings.batchTimeoutMs();
        this.prequentialWindow = settings.prequentialWindow();
        this.sourceTopic = settings.examplesTopic().name();
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>("trainer", new TrainerStateSerializer()));
        probabilities = new float[0];
        updates = getRuntimeContext().getMetricGroup().counter("minibatchUpdates");
        rejected = getRuntimeContext().getMetricGroup().counter("minibatchesRejected");
        snapshots = getRuntimeContext().getMetricGroup().counter("modelSnapshots");
        blasBackend = Blas.get().backend().name();
    }

    @Override
    public void processElement(Example example, Context ctx, Collector<Prediction> out) throws Exception {
        TrainerState s = state.value();
        if (s == null) {
            s = create(example.getTask(), ctx);
        }
        int dim = s.learner.inputDim();
        int row = s.batchFill * dim;
        ExampleTensors.copyFeatures(example, s.batchFeatures, row, dim);

        if (probabilities.length != s.learner.outputDim()) {
            probabilities = new float[s.learner.outputDim()];
        }
        Prediction prediction = ExampleTensors.predict(s.learner, s.batchFeatures, row, probabilities, example,
                JobSettings.DEFAULT_VARIANT, s.version(), ctx.timerService().currentProcessingTime());
        out.collect(prediction);
        s.predictions++;

        boolean classifier = s.learner.isClassifier();
        Integer label = example.getLabel();
        Double target = example.getTarget();
        if (classifier ? label != null : target != null) {
            if (classifier) {
                s.prequential.add(prediction.getPredictedClass().equals(label));
                s.batchLabels[s.batchFill] = label;
            } else {
                s.batchTargets[s.batchFill] = target.floatValue();
            }
            s.batchWeights[s.batchFill] = example.getWeight();
            s.batchFill++;
            if (s.batchFill == s.batchSize()) {
                train(s, ctx);
                if (s.version() % snapshotEveryBatches == 0) {
                    publish(s, example.getTask(), ctx);
                }
            } else if (s.batchFill == 1 && batchTimeoutMs > 0) {
                s.batchDeadline = ctx.timerService().currentProcessingTime() + batchTimeoutMs;
                ctx.timerService().registerProcessingTimeTimer(s.batchDeadline);
            }
        }
        state.update(s);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Prediction> out) throws Exception {
        TrainerState s = state.value();
        if (s == null) {
            return;
        }
        String task = ctx.getCurrentKey();
        if (ctx.timeDomain() == TimeDomain.EVENT_TIME) {
            if (timestamp == END_OF_INPUT) {
                train(s, ctx);
                publish(s, task, ctx);
            }
        } else {
            if (timestamp == s.batchDeadline) {
                train(s, ctx);
            }
            if (timestamp == s.nextSnapshotAt) {
                publish(s, task, ctx);
                s.nextSnapshotAt = timestamp + snapshotIntervalMs;
                ctx.timerService().registerProcessingTimeTimer(s.nextSnapshotAt);
            }
        }
        state.update(s);
    }

    private TrainerState create(String task, Context ctx) {
        ModelSpec spec = specs.specFor(task);
        TrainerState s = new TrainerState(OnlineLearner.create(spec), prequentialWindow);
        ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
        if (snapshotIntervalMs > 0) {
            s.nextSnapshotAt = ctx.timerService().currentProcessingTime() + snapshotIntervalMs;
            ctx.timerService().registerProcessingTimeTimer(s.nextSnapshotAt);
        }
        return s;
    }

    /** Applies one update with the open minibatch, if it holds any example, and cancels its timeout. */
    private void train(TrainerState s, Context ctx) {
        if (s.batchDeadline != Long.MIN_VALUE) {
            // Flink keeps one timer per key and timestamp: when the deadline falls on the millisecond of the next
            // snapshot, deleting it would delete the snapshot timer too and end the periodic snapshots for good.
            if (s.batchDeadline != s.nextSnapshotAt) {
                ctx.timerService().deleteProcessingTimeTimer(s.batchDeadline);
            }
            s.batchDeadline = Long.MIN_VALUE;
        }
        if (s.batchFill == 0) {
            return;
        }
        try {
            if (s.learner.isClassifier()) {
                s.learner.trainMinibatch(s.batchFeatures, s.batchLabels, s.batchWeights, s.batchFill);
            } else {
                s.learner.trainMinibatch(s.batchFeatures, s.batchTargets, s.batchWeights, s.batchFill);
            }
            updates.inc();
        } catch (NonFiniteUpdateException e) {
            // The learner is untouched: drop the poisoned minibatch and keep serving the last good model.
            rejected.inc();
            LOG.warn("task {}: minibatch of {} examples rejected at model version {} (examples seen {}): {}",
                    ctx.getCurrentKey(), s.batchFill, s.version(), s.learner.examplesSeen(), e.getMessage());
        }
        s.batchFill = 0;
    }

    /** Emits a snapshot if the model changed since the last one, so versions strictly increase. */
    private void publish(TrainerState s, String task, Context ctx) {
        long version = s.version();
        if (version <= s.publishedVersion) {
            return;
        }
        ModelSpec spec = s.learner.spec();
        ctx.output(MODEL_SNAPSHOTS, ModelSnapshot.newBuilder()
                .setTask(task)
                .setVariant(JobSettings.DEFAULT_VARIANT)
                .setVersion(version)
                .setAlgorithm(spec.algorithm())
                .setSpec(spec.toJson())
                .setParametersFormat(OnlineLearner.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(s.learner.toBytes()))
                .setExamplesSeen(s.learner.examplesSeen())
                .setMetrics(Map.of(
                        "prequentialAccuracy", s.prequential.value(),
                        "prequentialWindowCount", (double) s.prequential.count(),
                        "predictions", (double) s.predictions))
                .setCreatedAt(ctx.timerService().currentProcessingTime())
                .setProvenance(Map.of(
                        "job", "chorus-train",
                        "sourceTopic", sourceTopic,
                        "blasBackend", blasBackend))
                .build());
        s.publishedVersion = version;
        snapshots.inc();
    }
}
