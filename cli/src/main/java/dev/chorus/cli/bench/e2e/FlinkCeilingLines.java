package dev.chorus.cli.bench.e2e;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SerializerTypeInfo;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.accumulators.LongMaximum;
import org.apache.flink.api.common.accumulators.LongMinimum;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * What a Flink job reaches on the same topic before any model: the ceilings a train line's rate is also divided by
 * (issue 17). Both run bounded on the train lines' MiniCluster, at their parallelism, checkpoint interval and sink
 * guarantee ({@link TrainLine#boundedSettings}), until they settle as the train lines do ({@link SettlePolicy}).
 *
 * <p>{@link #passThrough}: the train job's own Kafka source and record deserializer ({@link KafkaIO#source}), its
 * decoder and checks of each example against the task's spec ({@link DecodeRecords#sourced}, bad records to the
 * dead-letter sink), and its predictions sink, which gets one constant prediction per example; no routing to
 * variants, no model. Timed as a train line: from the broker's append of the {@code n/4}-th prediction to the last
 * one's ({@link SteadyRate#rateFigures}).
 *
 * <p>{@link #sourceOnly}: the Kafka source alone, each record counted and dropped (nothing decoded or written);
 * timed as the raw consumer is, from the {@code n/4}-th record's arrival to the last one's, here in the counting
 * operator (its times travel back in the job's accumulators).
 */
final class FlinkCeilingLines {

    private FlinkCeilingLines() {}

    /** The pass-through job on {@code examples} until it settles: the median warm run's figures. */
    static Map<String, Object> passThrough(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            Topic<Example> examples, Line line, long n, int runs) throws Exception {
        return SettlePolicy.medianWarmRunFigures(SettlePolicy.untilSettled(
                Math.min(SettlePolicy.LINE_MIN_RUNS, runs), runs, SteadyRate.EXAMPLES_PER_S,
                run -> passThroughRun(kafka, flink, examples, line, n, run)));
    }

    /** The source-only job on {@code examples} until it settles: the median warm run's figures. */
    static Map<String, Object> sourceOnly(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            Topic<Example> examples, Line line, long n, int runs) throws Exception {
        return SettlePolicy.medianWarmRunFigures(SettlePolicy.untilSettled(
                Math.min(SettlePolicy.LINE_MIN_RUNS, runs), runs, SteadyRate.EXAMPLES_PER_S,
                run -> sourceOnlyRun(kafka, flink, examples, line, n, run)));
    }

    private static Map<String, Object> passThroughRun(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            Topic<Example> examples, Line line, long n, int run) throws Exception {
        String bootstrap = kafka.bootstrapServers();
        TrainSettings settings = settings(kafka, examples, line, run);
        StreamExecutionEnvironment env = environment(settings);
        DataStream<KafkaRecord> raw = source(env, settings);
        SingleOutputStreamOperator<Sourced<Example>> decoded = raw
                .process(DecodeRecords.sourced(settings.examplesTopic(), checkedAgainstSpec(settings.specs()), "examples",
                        settings.maxRecordBytes(), settings.deadLetterMaxOriginalBytes()),
                        SerializerTypeInfo.SOURCED_EXAMPLE)
                .name("decode-and-validate").uid(TrainJob.UID_DECODE);
        decoded.map(new ConstantPrediction(ModelSpec.parse(line.spec()).numClasses()), AvroTypes.of(Prediction.class))
                .name("constant-prediction").uid("constant-prediction")
                .sinkTo(KafkaIO.sink(settings, settings.predictionsTopic(), Prediction::getId, "predictions"))
                .name("predictions").uid(TrainJob.UID_PREDICTIONS_SINK);
        decoded.getSideOutput(DecodeRecords.DEAD_LETTERS).sinkTo(KafkaIO.deadLetterSink(settings))
                .name("dead-letters").uid(TrainJob.UID_DEAD_LETTERS_SINK);
        JobRun job = JobRun.runToEnd(flink, env, "chorus pass-through (e2e " + line.key() + ")");
        double cpu = JobRun.processCpuSeconds() - job.cpuAtSubmit();
        // Read after the run, so that decoding N predictions does not take CPU from the job it times.
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        predictions.countAll(bootstrap, settings.predictionsTopic().name());
        Map<String, Object> figures = SteadyRate.rateFigures(predictions, predictions.lastAppendedAt(), n, job, cpu);
        figures.put("predictions", predictions.count());
        figures.put("dead_letters",
                E2eTopics.total(E2eTopics.endOffsets(bootstrap, settings.deadLetterTopic().name())));
        figures.put("parallelism", line.parallelism());
        return figures;
    }

    /**
     * The train job's checks of one example, as one: its decoder's ({@link TaskSpecs#check}: the record, the task
     * admitted), then its fit to the task's spec, which the train job's router checks per variant and which, with one
     * variant, is this once per example.
     */
    static DecodeRecords.Check<Example> checkedAgainstSpec(TaskSpecs specs) {
        DecodeRecords.Check<Example> decoder = specs.check();
        return example -> {
            ExampleValidator.Rejection rejection = decoder.check(example);
            return rejection != null ? rejection : ExampleValidator.againstSpec(example, specs.specFor(example.getTask()));
        };
    }

    private static Map<String, Object> sourceOnlyRun(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            Topic<Example> examples, Line line, long n, int run) throws Exception {
        if (line.parallelism() != 1) {
            throw new IllegalArgumentException(line.key() + ": expected parallelism 1 (one counter sees every "
                    + "record in order), got " + line.parallelism());
        }
        TrainSettings settings = settings(kafka, examples, line, run);
        StreamExecutionEnvironment env = environment(settings);
        DataStream<KafkaRecord> raw = source(env, settings);
        raw.process(new ArrivalCounter(SteadyRate.steadyIndex(n)), raw.getType()).name("count").uid("count")
                .sinkTo(new DiscardingSink<>()).name("discard").uid("discard");
        JobRun job = JobRun.runToEnd(flink, env, "chorus source only (e2e " + line.key() + ")");
        double cpu = JobRun.processCpuSeconds() - job.cpuAtSubmit();
        Map<String, Object> counted = job.accumulators();
        long records = (Long) counted.get(ArrivalCounter.RECORDS);
        if (records != n) {
            throw new IllegalStateException(line.key() + ": expected " + n + " records read, got " + records);
        }
        Map<String, Object> figures = SteadyRate.arrivalFigures(records, (Long) counted.get(ArrivalCounter.FIRST),
                (Long) counted.get(ArrivalCounter.STEADY_FROM), (Long) counted.get(ArrivalCounter.LAST));
        figures.put("job_seconds", (job.finished() - job.submitted()) / 1e3);
        SteadyRate.putCpu(figures, cpu, records);
        figures.put("records", records);
        figures.put("parallelism", line.parallelism());
        return figures;
    }

    /** The line's run settings, as a train line's, with the run's output topics created. */
    private static TrainSettings settings(EmbeddedKafkaBroker kafka, Topic<Example> examples, Line line, int run) {
        TrainSettings settings = TrainLine.boundedSettings(kafka.bootstrapServers(), examples, line,
                line.runPrefix(run));
        E2eTopics.createOutputTopics(kafka, settings);
        return settings.validate();
    }

    private static StreamExecutionEnvironment environment(JobSettings<?> settings) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobEnvironment.configure(env, settings);
        return env;
    }

    private static DataStream<KafkaRecord> source(StreamExecutionEnvironment env, TrainSettings settings) {
        return env.fromSource(KafkaIO.source(settings, settings.examplesTopic().name(), ""),
                WatermarkStrategy.noWatermarks(), "examples").uid(TrainJob.UID_SOURCE);
    }

    /** The same prediction for every example: uniform probabilities over the task's classes, model version 0. */
    static final class ConstantPrediction implements MapFunction<Sourced<Example>, Prediction> {
        private static final long serialVersionUID = 1L;
        private final float[] probabilities;

        ConstantPrediction(int classes) {
            probabilities = new float[classes];
            Arrays.fill(probabilities, 1f / classes);
        }

        @Override
        public Prediction map(Sourced<Example> example) {
            return ExampleTensors.prediction(example.value(), JobSettings.DEFAULT_VARIANT, 0, probabilities,
                    System.currentTimeMillis());
        }
    }

    /**
     * Counts records and notes when the first, the {@code steadyIndex}-th and the last arrived, in this JVM's
     * {@link System#nanoTime} (the MiniCluster runs here); emits nothing.
     */
    static final class ArrivalCounter extends ProcessFunction<KafkaRecord, KafkaRecord> {
        private static final long serialVersionUID = 1L;
        static final String RECORDS = "records";
        static final String FIRST = "first_nanos";
        static final String STEADY_FROM = "steady_from_nanos";
        static final String LAST = "last_nanos";
        private final long steadyIndex;
        private transient long count;
        private transient LongCounter records;
        private transient LongMinimum first;
        private transient LongMaximum steadyFrom;
        private transient LongMaximum last;

        ArrivalCounter(long steadyIndex) {
            this.steadyIndex = steadyIndex;
        }

        @Override
        public void open(OpenContext openContext) {
            records = new LongCounter();
            first = new LongMinimum();
            steadyFrom = new LongMaximum();
            last = new LongMaximum();
            getRuntimeContext().addAccumulator(RECORDS, records);
            getRuntimeContext().addAccumulator(FIRST, first);
            getRuntimeContext().addAccumulator(STEADY_FROM, steadyFrom);
            getRuntimeContext().addAccumulator(LAST, last);
        }

        @Override
        public void processElement(KafkaRecord record, Context ctx, Collector<KafkaRecord> out) {
            long now = System.nanoTime();
            if (count == 0) {
                first.add(now);
            }
            if (count == steadyIndex) {
                steadyFrom.add(now);
            }
            last.add(now);
            records.add(1L);
            count++;
        }
    }
}
