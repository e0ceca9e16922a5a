package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.KafkaRecordDeserializer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicSerializer;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.function.SerializableFunction;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The train job: examples topic → decode and validate (bad records to the dead-letter topic) → keyBy(task) →
 * online minibatch SGD, test-then-train → predictions, model snapshots and dead letters, each to its topic
 * through an exactly-once (transactional) Kafka sink.
 *
 * <p>{@link #main} only wires production sources and sinks; {@link #defineWorkflow} is the topology, which
 * tests drive with the same code.
 */
public final class TrainJob {

    /** Stable operator ids: savepoints map state to operators by these, so they never change. */
    public static final String UID_SOURCE = "examples-source";
    public static final String UID_DECODE = "decode-examples";
    public static final String UID_TRAIN = "minibatch-sgd";
    public static final String UID_PREDICTIONS_SINK = "predictions-sink";
    public static final String UID_MODELS_SINK = "models-sink";
    public static final String UID_DEAD_LETTERS_SINK = "dead-letters-sink";

    private TrainJob() {}

    /** Runs the train job on the cluster this JVM was submitted to ({@code flink run}) or locally. */
    public static void main(String[] args) throws Exception {
        TrainSettings settings = TrainJobOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        build(env, settings);
        env.execute("chorus-train");
    }

    /** Configures {@code env} and adds the whole job, with Kafka sources and sinks from {@code settings}. */
    public static void build(StreamExecutionEnvironment env, TrainSettings settings) {
        settings.validate();
        configure(env, settings);
        defineWorkflow(env, source(settings), sink(settings, settings.predictionsTopic(), Prediction::getId, "predictions"),
                sink(settings, settings.modelsTopic(), m -> m.getTask() + "/" + m.getVariant(), "models"),
                deadLetterSink(settings), settings);
    }

    /** Checkpointing (exactly-once), no Kryo fallback for any type, parallelism. */
    public static void configure(StreamExecutionEnvironment env, TrainSettings settings) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofMillis(settings.checkpointIntervalMs()));
        conf.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        env.configure(conf);
        if (settings.parallelism() > 0) {
            env.setParallelism(settings.parallelism());
        }
    }

    /** The topology, independent of where records come from and go to. */
    public static void defineWorkflow(StreamExecutionEnvironment env, Source<KafkaRecord, ?, ?> examples,
            Sink<Prediction> predictions, Sink<ModelSnapshot> models, Sink<DeadLetter> deadLetters,
            TrainSettings settings) {
        DataStream<KafkaRecord> raw = env.fromSource(examples, WatermarkStrategy.noWatermarks(), "examples")
                .uid(UID_SOURCE);

        SingleOutputStreamOperator<Example> decoded = raw
                .process(new DecodeExamples(settings.examplesTopic(), settings.specs()), AvroTypes.of(Example.class))
                .name("decode-and-validate")
                .uid(UID_DECODE);

        SingleOutputStreamOperator<Prediction> predicted = decoded
                .keyBy(Example::getTask)
                .process(new MinibatchSgdFunction(settings), AvroTypes.of(Prediction.class))
                .name("minibatch-sgd")
                .uid(UID_TRAIN);

        predicted.sinkTo(predictions).name("predictions").uid(UID_PREDICTIONS_SINK);
        predicted.getSideOutput(MinibatchSgdFunction.MODEL_SNAPSHOTS).sinkTo(models).name("model-snapshots")
                .uid(UID_MODELS_SINK);
        decoded.getSideOutput(DecodeExamples.DEAD_LETTERS).sinkTo(deadLetters).name("dead-letters")
                .uid(UID_DEAD_LETTERS_SINK);
    }

    @SuppressWarnings("deprecation") // the connector's API still takes Kafka's OffsetResetStrategy
    static KafkaSource<KafkaRecord> source(TrainSettings settings) {
        KafkaSourceBuilder<KafkaRecord> builder = KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setTopics(settings.examplesTopic().name())
                .setGroupId(settings.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new KafkaRecordDeserializer())
                .setProperties(kafkaProperties(settings));
        if (settings.bounded()) {
            builder.setBounded(OffsetsInitializer.latest());
        }
        return builder.build();
    }

    static <T extends SpecificRecord> KafkaSink<T> sink(TrainSettings settings, Topic<T> topic,
            SerializableFunction<T, String> key, String name) {
        return KafkaSink.<T>builder()
                .setBootstrapServers(settings.bootstrapServers())
                .setKafkaProducerConfig(kafkaProperties(settings))
                .setRecordSerializer(new TopicSerializer<>(topic, key))
                .setDeliveryGuarantee(settings.exactlyOnce() ? DeliveryGuarantee.EXACTLY_ONCE
                        : DeliveryGuarantee.AT_LEAST_ONCE)
                .setTransactionalIdPrefix(settings.groupId() + "-" + name)
                // Below the broker's transaction.max.timeout.ms (15 min by default), above any checkpoint.
                .setProperty("transaction.timeout.ms", String.valueOf(Duration.ofMinutes(10).toMillis()))
                .build();
    }

    private static KafkaSink<DeadLetter> deadLetterSink(TrainSettings settings) {
        return sink(settings, settings.deadLetterTopic(),
                d -> d.getKey() == null ? d.getTopic() + "-" + d.getPartition() + "@" + d.getOffset()
                        : StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString(),
                "dead-letters");
    }

    private static Properties kafkaProperties(TrainSettings settings) {
        Properties props = new Properties();
        props.putAll(settings.kafkaProperties());
        return props;
    }
}
