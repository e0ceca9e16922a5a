package dev.chorus.jobs.serve;

import dev.chorus.jobs.DecodeRecords;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.JobEnvironment;
import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.kafka.BoundedEnd;
import dev.chorus.jobs.kafka.KafkaIO;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.SerializerTypeInfo;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The serve job: examples (labeled or not) → decode → keyBy(task) → predict with the newest model of the task,
 * which arrives on the compacted models topic as broadcast state and replaces the old one without a restart →
 * predictions, tagged with task, variant and model version. With {@code --variant champion} the champions topic
 * joins the models on the broadcast side and each task is answered by its champion. Bad records (models that do not parse included), and
 * examples that waited too long for a first model, go to the dead-letter topic.
 */
public final class ServeJob {

    public static final String UID_EXAMPLES_SOURCE = "serve-examples-source";
    public static final String UID_MODELS_SOURCE = "serve-models-source";
    public static final String UID_CHAMPIONS_SOURCE = "serve-champions-source";
    public static final String UID_DECODE_EXAMPLES = "serve-decode-examples";
    public static final String UID_SERVE = "serve-models";
    public static final String UID_MODELS_IN_ORDER = "serve-models-in-order";
    public static final String UID_PREDICTIONS_SINK = "serve-predictions-sink";
    public static final String UID_DEAD_LETTERS_SINK = "serve-dead-letters-sink";
    /** The serve function's broadcast states: models, the champion served and wanted, chunks of a snapshot pending. */
    public static final List<MapStateDescriptor<?, ?>> BROADCAST_STATES = List.of(ServeFunction.MODELS,
            ServeFunction.SERVING, ServeFunction.WANTED, SnapshotAssembly.PENDING, ChampionRestarts.HOLDS,
            ChampionRestarts.HELD, ChampionRestarts.ASKED, ServeBounds.STANDINGS);

    /**
     * The predictions producer sends as soon as its connection is free instead of Kafka's 5 ms linger: serving
     * trades throughput for latency, as its network buffer timeout does, and under load the producer still
     * batches what queues while its requests are in flight.
     */
    static final Map<String, String> PREDICTIONS_PRODUCER = Map.of(ProducerConfig.LINGER_MS_CONFIG, "0");

    private ServeJob() {}

    /** Runs the serve job on the cluster this JVM was submitted to ({@code flink run}) or locally. */
    public static void main(String[] args) throws Exception {
        ServeSettings settings = ServeJobOptions.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BoundedEnd end = build(env, settings);
        BoundedEnd.commitAfter(env.execute("chorus-serve"), end);
    }

    /**
     * Configures {@code env} and adds the whole job, with Kafka sources and sinks from {@code settings}; for a bounded
     * job, returns where its examples source stops ({@link BoundedEnd}: its client commits it once the job has
     * finished), else null.
     */
    public static BoundedEnd build(StreamExecutionEnvironment env, ServeSettings settings) {
        settings.validate();
        JobEnvironment.configure(env, settings);
        BoundedEnd examplesEnd = settings.bounded() ? BoundedEnd.of(settings, settings.examplesTopic().name(), "")
                : null;
        defineWorkflow(env, KafkaIO.source(settings, settings.examplesTopic().name(), "", examplesEnd),
                KafkaIO.stateSource(settings, settings.modelsTopic().name(), "-models"),
                settings.followsChampion() ? KafkaIO.stateSource(settings, settings.championsTopic().name(), "-champions")
                        : null,
                KafkaIO.sink(settings, settings.predictionsTopic(), Prediction::getId, "predictions",
                        PREDICTIONS_PRODUCER),
                KafkaIO.deadLetterSink(settings), settings);
        return examplesEnd;
    }

    /**
     * The topology, independent of where records come from and go to; {@code champions} is null when serving a
     * fixed variant.
     */
    public static void defineWorkflow(StreamExecutionEnvironment env, Source<KafkaRecord, ?, ?> examples,
            Source<KafkaRecord, ?, ?> models, Source<KafkaRecord, ?, ?> champions, Sink<Prediction> predictions, Sink<DeadLetter> deadLetters,
            ServeSettings settings) {
        // Each example goes on with where it was read, for the dead letter it may still become.
        SingleOutputStreamOperator<Sourced<Example>> decodedExamples = env
                .fromSource(examples, WatermarkStrategy.noWatermarks(), "examples").uid(UID_EXAMPLES_SOURCE)
                .process(DecodeRecords.sourced(settings.examplesTopic(), ExampleValidator::basic, "examples",
                        settings.maxRecordBytes(), settings.deadLetterMaxOriginalBytes()),
                        SerializerTypeInfo.SOURCED_EXAMPLE)
                .name("decode-examples").uid(UID_DECODE_EXAMPLES);

        // Model records go to every serve subtask as read: ServeFunction decodes and parses each on arrival, and
        // a tombstone (chorus models reset) must reach it as such.
        // Following the champion, champion records join them. Every serve subtask must apply them in one order, as
        // its bounds (max tasks, variants per task) decide by what came first: the sources' subtasks would reach each
        // serve subtask interleaved their own way, so one subtask passes them on and is the only one broadcasting.
        // Few records, each flushed at once (buffer timeout 0), so that the extra hop delays no model.
        DataStream<KafkaRecord> modelRecords = env
                .fromSource(models, WatermarkStrategy.noWatermarks(), "models").uid(UID_MODELS_SOURCE)
                .setBufferTimeout(0);
        if (champions != null) {
            modelRecords = modelRecords.union(env.fromSource(champions, WatermarkStrategy.noWatermarks(), "champions")
                    .uid(UID_CHAMPIONS_SOURCE).setBufferTimeout(0));
        }
        DataStream<KafkaRecord> inOrder = modelRecords.map(record -> record, modelRecords.getType())
                .name("models-in-order").uid(UID_MODELS_IN_ORDER).setParallelism(1).setBufferTimeout(0);
        BroadcastStream<KafkaRecord> broadcastModels =
                inOrder.broadcast(BROADCAST_STATES.toArray(new MapStateDescriptor<?, ?>[0]));

        SingleOutputStreamOperator<Prediction> served = decodedExamples
                .keyBy(example -> example.value().getTask(), Types.STRING)
                .connect(broadcastModels)
                .process(new ServeFunction(settings), AvroTypes.of(Prediction.class))
                .name("serve").uid(UID_SERVE);

        served.sinkTo(predictions).name("predictions").uid(UID_PREDICTIONS_SINK);
        served.getSideOutput(ServeFunction.DEAD_LETTERS)
                .union(decodedExamples.getSideOutput(DecodeRecords.DEAD_LETTERS))
                .sinkTo(deadLetters).name("dead-letters").uid(UID_DEAD_LETTERS_SINK);
    }
}
