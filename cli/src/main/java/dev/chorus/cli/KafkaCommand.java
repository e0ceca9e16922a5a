package dev.chorus.cli;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.kafka.ChorusTopic;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code chorus kafka}: a real single-node Kafka broker (KRaft, in-process, 127.0.0.1 only) for development,
 * with Chorus's topics, until Ctrl-C.
 */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = {"Run a local development Kafka broker (KRaft, on 127.0.0.1) until Ctrl-C.",
                "Not for production: one node, replication factor 1."})
final class KafkaCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", description = "Client port on 127.0.0.1 (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--log-dir", paramLabel = "DIR",
            description = "Data directory, kept and reused across runs (default: a temporary directory deleted on exit).")
    Path logDir;

    @Option(names = "--create-topics", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Create Chorus's topics if missing (default); --no-create-topics creates none.")
    boolean createTopics;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "1",
            description = "Partitions of the examples and predictions topics created (default: ${DEFAULT-VALUE}); "
                    + "the others have one, as the jobs read them.")
    int partitions;

    @Option(names = "--examples-topic", defaultValue = ChorusTopic.DefaultNames.EXAMPLES,
            description = "Default: ${DEFAULT-VALUE}.")
    String examplesTopic;

    @Option(names = "--predictions-topic", defaultValue = ChorusTopic.DefaultNames.PREDICTIONS,
            description = "Default: ${DEFAULT-VALUE}.")
    String predictionsTopic;

    @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "Compacted (default: ${DEFAULT-VALUE}).")
    String modelsTopic;

    @Option(names = "--annotators-topic", defaultValue = ChorusTopic.DefaultNames.ANNOTATORS,
            description = "Compacted (default: ${DEFAULT-VALUE}).")
    String annotatorsTopic;

    @Option(names = "--consensus-topic", defaultValue = ChorusTopic.DefaultNames.CONSENSUS,
            description = "Compacted (default: ${DEFAULT-VALUE}).")
    String consensusTopic;

    @Option(names = "--champions-topic", defaultValue = ChorusTopic.DefaultNames.CHAMPIONS,
            description = "Compacted (default: ${DEFAULT-VALUE}).")
    String championsTopic;

    @Option(names = "--specs-topic", defaultValue = ChorusTopic.DefaultNames.SPECS,
            description = "The train job's control topic; compacted (default: ${DEFAULT-VALUE}).")
    String specsTopic;

    @Option(names = "--dead-letter-topic", defaultValue = ChorusTopic.DefaultNames.DEAD_LETTERS,
            description = "Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    @Option(names = "--spec-refusals-topic", defaultValue = ChorusTopic.DefaultNames.SPEC_REFUSALS,
            description = "The control records the train job refused (default: ${DEFAULT-VALUE}).")
    String specRefusalsTopic;

    @Override
    public Integer call() throws InterruptedException {
        if (partitions < 1) {
            throw new ParameterException(spec.commandLine(), "--partitions: expected N >= 1, got " + partitions);
        }
        EmbeddedKafkaBroker.Builder builder = EmbeddedKafkaBroker.builder().port(port).defaultPartitions(partitions);
        if (logDir != null) {
            builder.logDir(logDir);
        }
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        try (EmbeddedKafkaBroker broker = builder.build()) {
            Thread shutdown = new Thread(() -> {
                broker.close();
                stopped.countDown();
            }, "chorus-kafka-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdown);
            try {
                broker.start();
                List<String> created = createTopics ? createTopics(broker) : List.of();
                out.println("Kafka (KRaft) running; bootstrap servers: " + broker.bootstrapServers());
                out.println("log dir: " + broker.logDir() + (logDir == null ? " (deleted on exit)" : " (kept)"));
                if (!created.isEmpty()) {
                    out.println("topics: " + String.join(", ", created));
                }
                out.println("Ctrl-C stops it.");
                out.flush();
                // Ctrl-C runs the hook, which closes the broker; an interrupt (an embedding caller) ends the wait too.
                stopped.await();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdown);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is closing the broker already.
                }
            }
        } catch (InterruptedException e) {
            out.println("Kafka stopped.");
            out.flush();
            return 0;
        }
        return 0;
    }

    private List<String> createTopics(EmbeddedKafkaBroker broker) {
        // Every role, so that the train job finds each topic it writes (a missing one makes its sink retry forever).
        Map<ChorusTopic, String> names = new EnumMap<>(ChorusTopic.class);
        for (ChorusTopic role : ChorusTopic.values()) {
            names.put(role, role.defaultName());
        }
        names.putAll(Map.of(ChorusTopic.EXAMPLES, examplesTopic,
                ChorusTopic.PREDICTIONS, predictionsTopic, ChorusTopic.MODELS, modelsTopic,
                ChorusTopic.ANNOTATORS, annotatorsTopic, ChorusTopic.CONSENSUS, consensusTopic,
                ChorusTopic.CHAMPIONS, championsTopic, ChorusTopic.SPECS, specsTopic,
                ChorusTopic.DEAD_LETTERS, deadLetterTopic, ChorusTopic.SPEC_REFUSALS, specRefusalsTopic));
        List<NewTopic> topics = new ArrayList<>();
        List<String> created = new ArrayList<>();
        names.forEach((role, name) -> {
            // One partition where the jobs need one (the control topic, the models topic) or gain nothing from more.
            topics.add(role.newTopic(name, role.isData() ? partitions : 1));
            created.add(name + (role.compacted() ? " (compacted)" : ""));
        });
        broker.createTopics(topics);
        return created;
    }
}
