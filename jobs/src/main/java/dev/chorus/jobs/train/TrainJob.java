package dev.chorus.jobs.train;

import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.BoundedEnd;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.SerializerTypeInfo;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.jobs.select.ChampionSelection;
import dev.chorus.jobs.select.ChampionSelectionFunction;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.EitherTypeInfo;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.types.Either;
import org.apache.flink.util.Collector;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The train job: examples topic → decode and validate what holds for any spec (bad records to the dead-letter
 * topic) → one envelope per live variant of the example's task that it fits ({@link VariantRouter}, from the
 * control topic's specs, broadcast, and {@code --spec}) →
 * keyBy(variant key) → online minibatch SGD, test-then-train, through the task's label model if its spec names one →
 * predictions (those that are finite, {@link #PUBLISHABLE}), model snapshots, annotator models and dead letters, each
 * to its topic, and the predictions of labelled examples, not finite ones included, → keyBy(task) → champion selection
 * ({@link ChampionSelection}) → champion records, and the
 * control records its searches decide back to the control topic, each through an exactly-once (transactional)
 * Kafka sink (the control records at least once with {@code --decisions-at-least-once}).
 *
 * <p>{@link #main} seeds the control topic with {@code --spec} ({@link SpecSeeding}) and wires production sources
 * and sinks; {@link #defineWorkflow} is the topology, which tests drive with the same code.
 */
public final class TrainJob {

    /** Stable operator ids: savepoints map state to operators by these, so they never change. */
    public static final String UID_SOURCE = "examples-source";
    public static final String UID_DECODE = "decode-examples";
    public static final String UID_TRAIN = "minibatch-sgd";
    public static final String UID_PREDICTIONS_SINK = "predictions-sink";
    public static final String UID_MODELS_SINK = "models-sink";
    public static final String UID_DEAD_LETTERS_SINK = "dead-letters-sink";
    public static final String UID_ANNOTATORS_SINK = "annotators-sink";
    public static final String UID_CONSENSUS_SINK = "consensus-sink";
    public static final String UID_CHAMPIONS_SINK = "champions-sink";
    public static final String UID_SPECS_SOURCE = "specs-source";
    public static final String UID_CHECK_SPECS = "check-specs";
    public static final String UID_ROUTE = "route-variants";
    /** Stateless: the changes of check-specs without its progress markers, for the trainers and the selection. */
    public static final String UID_SPEC_CHANGES = "spec-changes";
    public static final String UID_SPEC_DECISIONS_SINK = "spec-decisions-sink";
    /** Stateless: the trainer's predictions without those that are not finite, for the predictions topic. */
    public static final String UID_FINITE_PREDICTIONS = "finite-predictions";

    /**
     * Which of the trainer's predictions go to the predictions topic: those whose every number is finite
     * ({@link ExampleTensors#nonFiniteReason}). The others (counted {@code nonFinitePredictions} by the trainer) go to
     * the selection alone.
     */
    public static final FilterFunction<Prediction> PUBLISHABLE = p -> ExampleTensors.nonFiniteReason(p) == null;

    private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

    private TrainJob() {}

    /**
     * Seeds the control topic with {@code --spec} ({@link SpecSeeding}), then runs the train job on the cluster this
     * JVM was submitted to ({@code flink run}) or locally.
     */
    public static void main(String[] args) throws Exception {
        TrainSettings settings = TrainJobOptions.parse(args);
        settings.validate();
        Set<String> seeded = SpecSeeding.seed(settings);
        if (!seeded.isEmpty()) {
            LOG.info("--spec seeded control topic {} as variant default of {}", settings.specsTopic().name(), seeded);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BoundedEnd end = build(env, settings);
        BoundedEnd.commitAfter(env.execute("chorus-train"), end);
    }

    /**
     * Configures {@code env} and adds the whole job, with Kafka sources and sinks from {@code settings}. A bounded job
     * looks once, here, where its control topic ends: its control source stops there and its router waits for no
     * record past it ({@link VariantRouter}), so a record committed while the job starts is beyond both; its examples
     * source stops where the examples topic ended then, which it returns ({@link BoundedEnd}: its client commits it
     * once the job has finished); null for an unbounded job.
     */
    public static BoundedEnd build(StreamExecutionEnvironment env, TrainSettings settings) {
        settings.validate();
        JobEnvironment.configure(env, settings);
        String controlTopic = settings.specsTopic().name();
        VariantRouter.ControlTopicEnd controlEnd = VariantRouter.controlTopicEnd(settings);
        Map<TopicPartition, Long> controlStop = null;
        if (settings.bounded()) {
            long last = controlEnd.lastCommittedOffset();
            controlEnd = () -> last;
            controlStop = Map.of(new TopicPartition(controlTopic, 0), last + 1);
        }
        BoundedEnd examplesEnd = settings.bounded() ? BoundedEnd.of(settings, settings.examplesTopic().name(), "")
                : null;
        defineWorkflow(env, KafkaIO.source(settings, settings.examplesTopic().name(), "", examplesEnd),
                KafkaIO.sourceFromStart(settings, controlTopic, controlStop), controlEnd,
                KafkaIO.sink(settings, settings.predictionsTopic(), Prediction::getId, "predictions"),
                KafkaIO.sinkWithTombstones(settings, settings.modelsTopic(), SnapshotChunks::key, "models"),
                KafkaIO.deadLetterSink(settings, settings.specRefusalsTopic()),
                KafkaIO.sinkWithTombstones(settings, settings.annotatorsTopic(),
                        a -> TrainRecords.annotatorKey(a.getTask(), a.getVariant(), a.getAnnotator()), "annotators"),
                KafkaIO.sinkWithTombstones(settings, settings.consensusTopic(),
                        c -> TrainRecords.consensusKey(c.getTask(), c.getVariant(), c.getItem()), "consensus"),
                KafkaIO.sink(settings, settings.championsTopic(), Champion::getTask, "champions"),
                settings.decisionsAtLeastOnce()
                        ? KafkaIO.sinkAtLeastOnce(settings, settings.specsTopic(),
                                r -> Variants.topicKey(r.getTask(), r.getVariant()), "specs")
                        : KafkaIO.sink(settings, settings.specsTopic(),
                                r -> Variants.topicKey(r.getTask(), r.getVariant()), "specs"),
                settings);
        return examplesEnd;
    }

    /** The topology, independent of where records come from and go to. */
    public static void defineWorkflow(StreamExecutionEnvironment env, Source<KafkaRecord, ?, ?> examples,
            Source<KafkaRecord, ?, ?> specs, VariantRouter.ControlTopicEnd controlEnd, Sink<Prediction> predictions, Sink<Either<String, ModelSnapshot>> models,
            Sink<Either<DeadLetter, DeadLetter>> deadLetters, Sink<Either<String, AnnotatorModel>> annotators,
            Sink<Either<String, Consensus>> consensus, Sink<Champion> champions, Sink<VariantSpecRecord> specDecisions,
            TrainSettings settings) {
        DataStream<KafkaRecord> raw = env.fromSource(examples, WatermarkStrategy.noWatermarks(), "examples")
                .uid(UID_SOURCE);

        SingleOutputStreamOperator<Received<Example>> decoded = raw
                .process(DecodeRecords.received(settings.examplesTopic(), settings.specs().check(), "examples",
                        settings.maxRecordBytes(), settings.deadLetterMaxOriginalBytes(), settings.specs()::misfits),
                        SerializerTypeInfo.RECEIVED_EXAMPLE)
                .name("decode-and-validate")
                .uid(UID_DECODE);

        // One instance reads and judges the control topic (one partition); its accepted changes go to every
        // router and trainer instance.
        SingleOutputStreamOperator<SpecChange> changes = env
                .fromSource(specs, WatermarkStrategy.noWatermarks(), "specs").uid(UID_SPECS_SOURCE).setParallelism(1)
                .process(new SpecControl(settings), TypeInformation.of(SpecChange.class))
                .name("check-specs").uid(UID_CHECK_SPECS).setParallelism(1);
        // The router gets check-specs' progress markers too, to hold a fresh job's first examples until it has the
        // control topic as it was at the start (VariantRouter); the trainers and the selection, the changes alone.
        BroadcastStream<SpecChange> read = changes.broadcast(VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR,
                ModelGenerations.DESCRIPTOR);
        BroadcastStream<SpecChange> live = changes.filter(c -> !c.marksProgress()).name("spec-changes")
                .uid(UID_SPEC_CHANGES).setParallelism(1)
                .broadcast(VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR);

        SingleOutputStreamOperator<VariantExample> routed = decoded.connect(read)
                .process(new VariantRouter(settings, controlEnd), VariantExampleSerializer.TYPE)
                .name("route-variants")
                .uid(UID_ROUTE);

        SingleOutputStreamOperator<Prediction> predicted = routed
                .keyBy(VariantExample::key, Types.STRING)
                .connect(live)
                .process(new MinibatchSgdFunction(settings), AvroTypes.of(Prediction.class))
                .name("minibatch-sgd")
                .uid(UID_TRAIN);

        // The trainer emits its predictions that are not finite too, on this one output, for the selection to score
        // in the order each variant made them (ChampionRace relies on it); the topic never gets one.
        predicted.filter(PUBLISHABLE).name("finite-predictions").uid(UID_FINITE_PREDICTIONS)
                .sinkTo(predictions).name("predictions").uid(UID_PREDICTIONS_SINK);
        predicted.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS).sinkTo(models).name("model-snapshots")
                .uid(UID_MODELS_SINK);
        predicted.getSideOutput(MinibatchSgdFunction.ANNOTATOR_MODELS).sinkTo(annotators).name("annotator-models")
                .uid(UID_ANNOTATORS_SINK);
        predicted.getSideOutput(MinibatchSgdFunction.CONSENSUS).sinkTo(consensus).name("consensus")
                .uid(UID_CONSENSUS_SINK);
        SingleOutputStreamOperator<Champion> selected = ChampionSelection.select(predicted, live, settings.selection(),
                settings.specs());
        selected.sinkTo(champions).name("champions").uid(UID_CHAMPIONS_SINK);
        // The control topic is the loop back to the router and trainer (Flink 2 has no iterations): what the
        // selection decides is written there and read back by the specs source like any operator's change.
        selected.getSideOutput(ChampionSelectionFunction.SPEC_DECISIONS).sinkTo(specDecisions)
                .name("spec-decisions").uid(UID_SPEC_DECISIONS_SINK);
        // Every operator's dead letters go to the dead-letter topic (Left); the control topic's refusals go to the
        // spec refusals topic too (Right), which the operator's tools read to judge the control topic instead of
        // the whole dead-letter topic: one sink, so both copies commit in one transaction.
        TypeInformation<Either<DeadLetter, DeadLetter>> routedDeadLetter =
                new EitherTypeInfo<>(AvroTypes.of(DeadLetter.class), AvroTypes.of(DeadLetter.class));
        DataStream<Either<DeadLetter, DeadLetter>> refusals = changes.getSideOutput(SpecControl.DEAD_LETTERS)
                .flatMap((DeadLetter d, Collector<Either<DeadLetter, DeadLetter>> out) -> {
                    out.collect(Either.Left(d));
                    out.collect(Either.Right(d));
                }, routedDeadLetter).name("spec-refusals");
        toDeadLetterTopic(decoded.getSideOutput(DecodeRecords.DEAD_LETTERS), routedDeadLetter)
                .union(toDeadLetterTopic(predicted.getSideOutput(MinibatchSgdFunction.DEAD_LETTERS), routedDeadLetter),
                        toDeadLetterTopic(routed.getSideOutput(VariantRouter.DEAD_LETTERS), routedDeadLetter),
                        refusals)
                .sinkTo(deadLetters).name("dead-letters")
                .uid(UID_DEAD_LETTERS_SINK);
    }

    /** {@code deadLetters} bound for the dead-letter topic alone ({@code Left}), chained to the operator that made them. */
    private static DataStream<Either<DeadLetter, DeadLetter>> toDeadLetterTopic(DataStream<DeadLetter> deadLetters,
            TypeInformation<Either<DeadLetter, DeadLetter>> type) {
        return deadLetters.map(d -> Either.<DeadLetter, DeadLetter>Left(d), type).name("to-dead-letter-topic");
    }
}
