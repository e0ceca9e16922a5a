package dev.chorus.cli;

import dev.chorus.cli.ui.Dashboard;
import dev.chorus.jobs.kafka.ChorusTopic;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chorus ui}: a live, read-only dashboard of the Chorus topics in a web page, until Ctrl-C. It reads the
 * topics only (committed records), so it works against any deployment.
 */
@Command(name = "ui", mixinStandardHelpOptions = true,
        description = {"Serve a live, read-only dashboard of the Chorus topics until Ctrl-C.",
                "Learning curves, model versions, annotators' confusion matrices, consensus coverage, dead letters by "
                        + "field and reason."})
final class UiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaOptions kafka;

    @Option(names = {"--host", "--ui-host"}, defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0: every "
                    + "interface, answering any Host header). Requests for another Host get 421.")
    String host;

    @Option(names = {"--port", "--ui-port"}, defaultValue = "8090",
            description = "Port (default: ${DEFAULT-VALUE}; 0: any free one). Configuration key: ui-port.")
    int port;

    @Option(names = "--models-topic", defaultValue = ChorusTopic.DefaultNames.MODELS,
            description = "Default: ${DEFAULT-VALUE}.")
    String modelsTopic;

    @Option(names = "--annotators-topic", defaultValue = ChorusTopic.DefaultNames.ANNOTATORS,
            description = "Default: ${DEFAULT-VALUE}.")
    String annotatorsTopic;

    @Option(names = "--consensus-topic", defaultValue = ChorusTopic.DefaultNames.CONSENSUS,
            description = "Default: ${DEFAULT-VALUE}.")
    String consensusTopic;

    @Option(names = "--dead-letter-topic", defaultValue = ChorusTopic.DefaultNames.DEAD_LETTERS,
            description = "Default: ${DEFAULT-VALUE}.")
    String deadLetterTopic;

    @Override
    public Integer call() {
        kafka.requireReachable();
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stopped = new CountDownLatch(1);
        try (Dashboard dashboard = Dashboard.start(kafka.bootstrapServers, kafka.kafkaProperties,
                new Dashboard.Topics(modelsTopic, annotatorsTopic, consensusTopic, deadLetterTopic), host, port)) {
            Thread shutdown = new Thread(() -> {
                dashboard.close();
                stopped.countDown();
            }, "chorus-ui-shutdown");
            Runtime.getRuntime().addShutdownHook(shutdown);
            out.println("Chorus dashboard at " + dashboard.url() + " (read-only; reading " + kafka.bootstrapServers
                    + "). Ctrl-C stops it.");
            out.flush();
            try {
                // Ctrl-C runs the hook, which stops the dashboard; an interrupt (an embedding caller) ends the wait too.
                stopped.await();
            } catch (InterruptedException e) {
                out.println("Dashboard stopped.");
                out.flush();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdown);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is stopping the dashboard already.
                }
            }
        }
        return 0;
    }
}
