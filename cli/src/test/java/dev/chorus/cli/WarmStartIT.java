package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Warm starts on a real broker and MiniCluster, through the command line: a variant forked from another's latest
 * snapshot ({@code chorus specs put --fork-from}) and one started from a {@code chorus fit} file
 * ({@code --warm-start-file}) predict their first minibatch exactly as model-core predicts with those bytes, at model
 * version 0; a model file that does not fit its spec is refused by {@code specs put}, and, written to the control
 * topic all the same, is one dead letter and creates no variant. A hashed variant forks alike: its first minibatch is
 * what model-core's {@link SparseLinearModel} predicts with the forked snapshot's bytes, and so does one started from a
 * {@code chorus fit} of a JSON-lines click file.
 */
class WarmStartIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final String TASK = "blobs";
    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":8,\"numClasses\":3,\"batchSize\":16,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},\"standardize\":true,\"seed\":7}";
    static final String CLICKS = "clicks";
    static final LabeledDataset DATA = SyntheticBlobs.generate(1000, 8, 3, 5);

    @Test
    void forkedAndFittedVariantsPredictTheirFirstMinibatchAsTheirSavedModelDoes(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("warm-start-it")
                    .specs(TaskSpecs.ofDefault(SPEC)).checkpointIntervalMs(300).snapshotEveryBatches(10)
                    .snapshotIntervalMs(0).batchTimeoutMs(0).parallelism(2);
            // One partition everywhere: a minibatch holds the rows in the order they were sent.
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("warm-start-it");
            try (ExampleProducer examples = new ExampleProducer(bootstrap, Map.of())) {
                send(examples, settings, "before-", 0, 160, true);
                ModelSnapshot v10 = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(),
                        m -> m.getVariant().equals("default") && m.getVersion() == 10, 1).get(0);
                byte[] forked = JobTestSupport.bytes(v10.getParameters());

                CliRun fork = CliRun.run(CliRun.noConfig(), "specs", "put", TASK, "fork", SPEC, "--fork-from",
                        "default", "--bootstrap-servers", bootstrap);
                assertThat(fork.exitCode()).as(fork.err()).isZero();
                assertThat(fork.out()).startsWith("blobs/fork live, from a " + forked.length + "-byte model");

                Path csv = dir.resolve("blobs.csv");
                Files.write(csv, csvRows(500, 900));
                Path fitted = dir.resolve("blobs.model");
                CliRun fit = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", SPEC, "--out",
                        fitted.toString(), "--epochs", "2", "--no-progress");
                assertThat(fit.exitCode()).as(fit.err()).isZero();
                assertThat(fit.out()).startsWith("fit softmax-regression on 400 examples of " + csv + " (2 epochs)");
                byte[] file = Files.readAllBytes(fitted);
                assertThat(SavedModels.read(file).steps()).isEqualTo(50);

                String fourClasses = SPEC.replace("\"numClasses\":3", "\"numClasses\":4");
                CliRun refused = CliRun.run(CliRun.noConfig(), "specs", "put", TASK, "bad", fourClasses,
                        "--warm-start-file", fitted.toString(), "--bootstrap-servers", bootstrap);
                assertThat(refused.exitCode()).isNotZero();
                assertThat(refused.err()).contains("field 'initialModel': expected a saved model that fits the "
                        + "variant's spec, got " + file.length + " bytes: key 'numClasses': expected 4 (the variant's "
                        + "spec), got 3 (the saved model's)");
                // Written all the same, as kcat could: check-specs refuses it.
                String badSpec = WarmStartModels.withWarmStart(fourClasses, fitted, null, "carry");
                SpecsCommand.Topic specs = new SpecsCommand.Topic();
                specs.kafka = new KafkaOptions();
                specs.kafka.bootstrapServers = bootstrap;
                specs.topic = settings.specsTopic().name();
                specs.format = settings.specsTopic().format();
                specs.write(SpecsCommand.record(TASK, "bad", badSpec, "test", file));

                CliRun warm = CliRun.run(CliRun.noConfig(), "specs", "put", TASK, "fitted", SPEC, "--warm-start-file",
                        fitted.toString(), "--warm-start-optimizer", "reset", "--bootstrap-servers", bootstrap);
                assertThat(warm.exitCode()).as(warm.err()).isZero();
                awaitVariants(kafka, settings, examples, List.of("default", "fork", "fitted"), round -> {
                    Example probe = ExampleProducer.example(DATA, 900, TASK, "probe" + round, 0);
                    probe.setLabel(null);
                    return probe;
                });

                List<DeadLetter> dead = JobTestSupport.awaitCommitted(kafka, settings.deadLetterTopic(),
                        d -> d.getTopic().equals(settings.specsTopic().name()), 1);
                assertThat(dead).singleElement().satisfies(d -> {
                    assertThat(d.getField()).isEqualTo("initialModel");
                    assertThat(d.getReason()).contains("key 'numClasses': expected 4 (the variant's spec), got 3");
                });

                send(examples, settings, "first-", 200, 16, true);
                Map<String, List<Prediction>> first = JobTestSupport.awaitCommitted(kafka,
                        settings.predictionsTopic(), p -> p.getId().startsWith("first-"), 3 * 16).stream()
                        .collect(Collectors.groupingBy(Prediction::getVariant));
                assertThat(first.keySet()).containsExactlyInAnyOrder("default", "fork", "fitted");
                assertFirstMinibatch(first.get("fork"), SavedModels.read(forked));
                assertFirstMinibatch(first.get("fitted"), SavedModels.read(file));
                assertThat(first.get("fork")).extracting(Prediction::getProbabilities)
                        .as("the fork predicts as its source, whose snapshot it is")
                        .containsExactlyElementsOf(first.get("default").stream().map(Prediction::getProbabilities)
                                .toList());
                assertThat(JobTestSupport.read(kafka, settings.predictionsTopic()))
                        .noneMatch(p -> p.getVariant().equals("bad"));

                // A warm start says only how a variant starts: the live fork's spec put with another is no change.
                CliRun otherStart = CliRun.run(CliRun.noConfig(), "specs", "put", TASK, "fork", SPEC,
                        "--warm-start-file", fitted.toString(), "--bootstrap-servers", bootstrap);
                assertThat(otherStart.exitCode()).as(otherStart.err()).isZero();
                assertThat(otherStart.out()).isEqualTo(TASK + "/fork is live with this spec already (a warm start "
                        + "applies only when a variant starts): nothing written\n");
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    @Test
    void forkedAndFittedHashedVariantsPredictTheirFirstMinibatchAsTheirSavedSparseModelDoes(@TempDir Path dir)
            throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = new TrainSettings().bootstrapServers(bootstrap).groupId("warm-start-hashed-it")
                    .specs(TaskSpecs.of(null, Map.of(CLICKS, ClickExamples.SPEC))).checkpointIntervalMs(300)
                    .snapshotEveryBatches(10).snapshotIntervalMs(0).batchTimeoutMs(0).parallelism(2);
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("warm-start-hashed-it");
            try (ExampleProducer examples = new ExampleProducer(bootstrap, Map.of())) {
                ClickExamples.stream(CLICKS, 40, 13).forEach(e -> examples.send(settings.examplesTopic(), e));
                examples.flush();
                ModelSnapshot v10 = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(),
                        m -> m.getVariant().equals("default") && m.getVersion() == 10, 1).get(0);
                byte[] forked = JobTestSupport.bytes(v10.getParameters());

                CliRun fork = CliRun.run(CliRun.noConfig(), "specs", "put", CLICKS, "fork", ClickExamples.SPEC,
                        "--fork-from", "default", "--bootstrap-servers", bootstrap);
                assertThat(fork.exitCode()).as(fork.err()).isZero();
                assertThat(fork.out()).startsWith("clicks/fork live, from a " + forked.length + "-byte model");
                CliRun refused = CliRun.run(CliRun.noConfig(), "specs", "put", CLICKS, "bad",
                        ClickExamples.SPEC.replace("\"bits\":12", "\"bits\":13"), "--fork-from", "default",
                        "--bootstrap-servers", bootstrap);
                assertThat(refused.exitCode()).isNotZero();
                assertThat(refused.err()).contains("key 'inputDim': expected 8192 (the variant's spec), got 4096 "
                        + "(the saved model's)");
                // Fitted offline on a synthetic click file of other fields, by a spec that hashes whatever comes, in
                // minibatches of 4 as the fork's: the first 4 examples close the minibatch of each.
                String hashed = FitFieldsTest.HASHED.replace("\"batchSize\":8", "\"batchSize\":4");
                Path clicks = dir.resolve("clicks.jsonl");
                FitFieldsTest.clicks(clicks, 300, 23);
                Path fitted = dir.resolve("clicks.model");
                CliRun fit = CliRun.run(CliRun.noConfig(), "fit", clicks.toString(), "--spec", hashed,
                        "--out", fitted.toString(), "--no-progress");
                assertThat(fit.exitCode()).as(fit.err()).isZero();
                CliRun warm = CliRun.run(CliRun.noConfig(), "specs", "put", CLICKS, "fitted", hashed,
                        "--warm-start-file", fitted.toString(), "--bootstrap-servers", bootstrap);
                assertThat(warm.exitCode()).as(warm.err()).isZero();
                awaitVariants(kafka, settings, examples, List.of("default", "fork", "fitted"), round -> {
                    Example probe = ClickExamples.example(CLICKS, round, 19);
                    probe.setId("probe" + round);
                    probe.setLabel(null);
                    return probe;
                });

                List<Example> first = ClickExamples.stream(CLICKS, 4, 17).stream().map(e -> {
                    e.setId("first-" + e.getId());
                    return e;
                }).toList();
                first.forEach(e -> examples.send(settings.examplesTopic(), e));
                examples.flush();
                Map<String, List<Prediction>> predicted = JobTestSupport.awaitCommitted(kafka,
                        settings.predictionsTopic(), p -> p.getId().startsWith("first-"), 3 * 4).stream()
                        .collect(Collectors.groupingBy(Prediction::getVariant));
                assertFirstHashedMinibatch(predicted.get("fork"), forked, first);
                assertFirstHashedMinibatch(predicted.get("fitted"), Files.readAllBytes(fitted), first);
                assertThat(predicted.get("fork")).extracting(Prediction::getProbabilities)
                        .as("the fork predicts as its source, whose snapshot it is")
                        .containsExactlyElementsOf(predicted.get("default").stream().map(Prediction::getProbabilities)
                                .toList());
            } finally {
                JobTestSupport.cancel(job);
            }
        }
    }

    /** {@code first} predicted at version 0, each bit for bit as model-core's SparseLinearModel of {@code saved}. */
    static void assertFirstHashedMinibatch(List<Prediction> predictions, byte[] saved, List<Example> first) {
        SparseLinearModel model = (SparseLinearModel) SavedModels.read(saved);
        FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
        Map<String, Prediction> byId = predictions.stream().collect(Collectors.toMap(Prediction::getId,
                Function.identity()));
        for (Example e : first) {
            float[] expected = new float[2];
            model.predictProba(hasher.hash(e.getFields()), expected);
            assertThat(byId.get(e.getId()).getModelVersion()).isZero();
            assertThat(Float32.unpack(byId.get(e.getId()).getProbabilities())).as(e.getId())
                    .containsExactly(expected);
        }
    }

    /** Rows {@code 200..215} predicted at version 0, each bit for bit as model-core predicts them in one batch. */
    static void assertFirstMinibatch(List<Prediction> predictions, Predictor model) {
        float[] x = Arrays.copyOfRange(DATA.features(), 200 * 8, 216 * 8);
        float[] expected = new float[16 * 3];
        model.predictProbaBatch(x, 16, expected);
        Map<String, Prediction> byId = predictions.stream().collect(Collectors.toMap(Prediction::getId,
                Function.identity()));
        for (int row = 200; row < 216; row++) {
            Prediction p = byId.get("first-" + row);
            assertThat(p.getModelVersion()).isZero();
            assertThat(Float32.unpack(p.getProbabilities())).as("row %d", row)
                    .containsExactly(Arrays.copyOfRange(expected, (row - 200) * 3, (row - 199) * 3));
        }
    }

    /** CSV lines {@code label,f0..f7} of rows {@code from..to-1}. */
    static List<String> csvRows(int from, int to) {
        List<String> lines = new ArrayList<>();
        for (int row = from; row < to; row++) {
            StringBuilder line = new StringBuilder().append(DATA.labels()[row]);
            for (int j = 0; j < 8; j++) {
                line.append(',').append(DATA.features()[row * 8 + j]);
            }
            lines.add(line.toString());
        }
        return lines;
    }

    static void send(ExampleProducer examples, TrainSettings settings, String prefix, int from, int count,
            boolean labelled) {
        for (int row = from; row < from + count; row++) {
            Example e = ExampleProducer.example(DATA, row, TASK, prefix.substring(0, prefix.length() - 1), 0);
            if (!labelled) {
                e.setLabel(null);
            }
            examples.send(settings.examplesTopic(), e);
        }
        examples.flush();
    }

    /** Sends unlabelled probes ({@code probe} of each round) until one is predicted by each of {@code variants}. */
    static void awaitVariants(EmbeddedKafkaBroker kafka, TrainSettings settings, ExampleProducer examples,
            List<String> variants, IntFunction<Example> probe) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        for (int round = 0; Instant.now().isBefore(deadline); round++) {
            examples.send(settings.examplesTopic(), probe.apply(round));
            examples.flush();
            Thread.sleep(300);
            Map<String, List<String>> byId = JobTestSupport.read(kafka, settings.predictionsTopic()).stream()
                    .filter(p -> p.getId().startsWith("probe")).collect(Collectors.groupingBy(Prediction::getId,
                            Collectors.mapping(Prediction::getVariant, Collectors.toList())));
            if (byId.values().stream().anyMatch(v -> v.containsAll(variants))) {
                return;
            }
        }
        throw new AssertionError("no probe was predicted by each of " + variants + " within " + JobTestSupport.PATIENCE);
    }
}
