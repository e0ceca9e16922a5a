package dev.chorus.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.data.FashionMnist;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The Kafka- and REST-side steps of {@code deploy/local-cluster}: creating the topics of {@code deploy/kafka/topics},
 * streaming Fashion-MNIST, watching a job through Flink's REST API and checking the exactly-once outcome. The
 * script owns the processes (broker, JobManager, TaskManagers); this class only talks to them as a client would.
 *
 * <pre>
 * create-topics BOOTSTRAP TOPICS_FILE
 * produce       BOOTSTRAP TOPIC COUNT RATE             Fashion-MNIST repeated to COUNT examples at RATE/s (0: at once),
 *                                                      ids r&lt;rep&gt;-&lt;row&gt;
 * scrape-metrics BOOTSTRAP PORTS PAUSE_S               scrapes Flink's Prometheus reporter on every port of PORTS
 *                                                      (from-to), streams 1000 more examples and 3 undecodable
 *                                                      records, scrapes again until they show, at most PAUSE_S
 *                                                      later (every 250 ms): the train task's
 *                                                      per-task gauges are there, accuracy within [0,1],
 *                                                      examplesTrained grew, both jobs' dead letters counted by
 *                                                      field, the serve job's per-task predictions
 * await-job     REST_URL NAME TIMEOUT_S                prints the id of the RUNNING job called NAME
 * await-source  REST_URL JOB_ID RECORDS TIMEOUT_S      until the source vertex has emitted RECORDS
 * trainer-taskmanager REST_URL JOB_ID                 prints the resource id of the TaskManager training the model
 * await-recovery REST_URL JOB_ID SINCE_MS TIMEOUT_S [restore|checkpoint]
 *                                                      until the job runs again, restored after SINCE_MS, and a newer
 *                                                      checkpoint completed (restore, the default); or until a
 *                                                      checkpoint triggered after SINCE_MS completed (checkpoint)
 * verify        BOOTSTRAP COUNT TIMEOUT_S              every id exactly once in predictions, examples seen = COUNT
 * verify-serve  BOOTSTRAP COUNT PREDICTIONS DEAD_LETTERS MIN_PREDICTIONS TIMEOUT_S
 *                                                      every id exactly once in the serve job's predictions or dead
 *                                                      letters; at least MIN_PREDICTIONS predictions, each by a model
 *                                                      version the train job published; every dead letter for want
 *                                                      of a first model
 * </pre>
 */
public final class LocalClusterDriver {

    /** The task every example {@link #produce} writes belongs to. */
    private static final String FASHION_MNIST = "fashion-mnist";
    /** Undecodable records {@link #scrapeMetrics} writes, so that both jobs count dead letters by field. */
    private static final int BAD_RECORDS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private LocalClusterDriver() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: LocalClusterDriver COMMAND ARGS... (see the class Javadoc)");
        }
        String[] a = Arrays.copyOfRange(args, 1, args.length);
        int status = switch (args[0]) {
            case "create-topics" -> createTopics(a[0], Path.of(a[1]));
            case "produce" -> produce(a[0], a[1], Integer.parseInt(a[2]), Double.parseDouble(a[3]));
            case "scrape-metrics" -> scrapeMetrics(a[0], a[1], seconds(a[2]));
            case "await-job" -> awaitJob(a[0], a[1], seconds(a[2]));
            case "await-source" -> awaitSource(a[0], a[1], Long.parseLong(a[2]), seconds(a[3]));
            case "trainer-taskmanager" -> trainerTaskManager(a[0], a[1]);
            case "await-recovery" -> awaitRecovery(a[0], a[1], Long.parseLong(a[2]), seconds(a[3]),
                    a.length > 4 && a[4].equals("checkpoint"));
            case "verify" -> verify(a[0], Integer.parseInt(a[1]), seconds(a[2]));
            case "verify-serve" -> verifyServe(a[0], Integer.parseInt(a[1]), a[2], a[3], Integer.parseInt(a[4]),
                    seconds(a[5]));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        };
        System.exit(status);
    }

    /** Topics as listed in {@code deploy/kafka/topics}: name, partitions, optional comma-separated configs. */
    record TopicLine(String name, int partitions, Map<String, String> configs) {}

    static List<TopicLine> readTopics(Path file) throws IOException {
        List<TopicLine> topics = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("#")) {
                continue;
            }
            String[] f = t.split("\\s+");
            Map<String, String> configs = new HashMap<>();
            if (f.length > 2) {
                for (String pair : f[2].split(",")) {
                    String[] kv = pair.split("=", 2);
                    configs.put(kv[0], kv[1]);
                }
            }
            topics.add(new TopicLine(f[0], Integer.parseInt(f[1]), configs));
        }
        return topics;
    }

    private static int createTopics(String bootstrap, Path file) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (TopicLine t : readTopics(file)) {
                try {
                    admin.createTopics(List.of(new NewTopic(t.name(), t.partitions(), (short) 1).configs(t.configs())))
                            .all().get();
                    System.out.printf("created topic %s (%d partitions) %s%n", t.name(), t.partitions(), t.configs());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                    System.out.printf("topic %s exists%n", t.name());
                }
            }
        }
        return 0;
    }

    /**
     * Streams {@code count} examples, the Fashion-MNIST set (Debian's training set if installed) repeated, at
     * {@code rate} examples per second (0: as fast as the broker takes them), so that the stream is still flowing
     * when a TaskManager is killed.
     */
    private static int produce(String bootstrap, String topicName, int count, double rate) throws IOException {
        LabeledDataset data = FashionMnist.forDemo("auto", 0);
        Topic<Example> topic = new Topic<>(topicName, Example.class, WireFormat.AVRO);
        long t0 = System.nanoTime();
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            int sent = 0;
            for (int rep = 0; sent < count; rep++) {
                LabeledDataset part = head(data, Math.min(data.size(), count - sent));
                int before = sent;
                producer.send(topic, part, FASHION_MNIST, "r" + rep, 1_700_000_000_000L + sent,
                        rows -> pace(before + rows, rate, t0));
                sent += part.size();
            }
        }
        System.out.printf("produced %,d examples (%s, repeated) in %.1f s%n", count, data.name(),
                (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    /** Sleeps while {@code sent} examples are ahead of {@code rate} per second since {@code t0} (nanoTime). */
    private static void pace(long sent, double rate, long t0) {
        if (rate <= 0 || sent % 100 != 0) {
            return;
        }
        long aheadMs = (long) (sent * 1000 / rate) - (System.nanoTime() - t0) / 1_000_000;
        if (aheadMs > 0) {
            try {
                Thread.sleep(aheadMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while pacing the producer", e);
            }
        }
    }

    private static LabeledDataset head(LabeledDataset d, int n) {
        if (n == d.size()) {
            return d;
        }
        return new LabeledDataset(d.name(), Arrays.copyOf(d.features(), n * d.dim()), Arrays.copyOf(d.labels(), n),
                d.dim(), d.numClasses());
    }

    private static int awaitJob(String rest, String name, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode job : get(rest, "/jobs/overview").path("jobs")) {
                if (name.equals(job.path("name").asText()) && "RUNNING".equals(job.path("state").asText())) {
                    System.out.println(job.path("jid").asText());
                    return 0;
                }
            }
            Thread.sleep(100); // polling interval, bounded by the deadline above
        }
        System.err.printf("no RUNNING job named %s after %s%n", name, timeout);
        return 1;
    }

    private static int awaitSource(String rest, String jobId, long records, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long emitted = 0;
        while (System.nanoTime() < deadline) {
            for (JsonNode v : get(rest, "/jobs/" + jobId).path("vertices")) {
                // The examples source: the train job also reads its control topic (Source: specs).
                if (v.path("name").asText().startsWith("Source: examples")) {
                    emitted = v.path("metrics").path("write-records").asLong();
                }
            }
            if (emitted >= records) {
                System.out.printf("source emitted %,d records%n", emitted);
                return 0;
            }
            Thread.sleep(250);
        }
        System.err.printf("source emitted only %,d of %,d records after %s%n", emitted, records, timeout);
        return 1;
    }

    /** The TaskManager that runs the minibatch-sgd subtask which receives records (the model's key). */
    private static int trainerTaskManager(String rest, String jobId) throws Exception {
        for (JsonNode v : get(rest, "/jobs/" + jobId).path("vertices")) {
            if (!v.path("name").asText().startsWith("minibatch-sgd")) {
                continue;
            }
            String busiest = null;
            long most = -1;
            for (JsonNode s : get(rest, "/jobs/" + jobId + "/vertices/" + v.path("id").asText()).path("subtasks")) {
                long in = s.path("metrics").path("read-records").asLong();
                if (in > most) {
                    most = in;
                    busiest = s.path("taskmanager-id").asText();
                }
            }
            if (busiest != null) {
                System.out.println(busiest);
                return 0;
            }
        }
        System.err.println("job " + jobId + " has no running minibatch-sgd subtask");
        return 1;
    }

    /**
     * Waits until the job is RUNNING again, restored after {@code sinceMs}, and has completed a checkpoint newer than
     * the one it restored; prints the time from {@code sinceMs} to that checkpoint's completion and how many failures
     * the job recorded. With {@code checkpointOnly} (a broker outage, which a job may ride out without a restart), a
     * checkpoint triggered after {@code sinceMs} and completed is enough.
     */
    private static int awaitRecovery(String rest, String jobId, long sinceMs, Duration timeout, boolean checkpointOnly)
            throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode checkpoints = get(rest, "/jobs/" + jobId + "/checkpoints");
            JsonNode completed = checkpoints.path("latest").path("completed");
            JsonNode job = get(rest, "/jobs/" + jobId);
            JsonNode restored = checkpoints.path("latest").path("restored");
            // Recovered means: restored after the kill, then a newer checkpoint completed. A checkpoint that was
            // already in flight at the kill may still complete just after it, and says nothing about recovery.
            boolean recovered = checkpointOnly
                    ? completed.isObject() && completed.path("trigger_timestamp").asLong() > sinceMs
                    : completed.isObject() && restored.isObject()
                            && restored.path("restore_timestamp").asLong() > sinceMs
                            && completed.path("id").asLong() > restored.path("id").asLong();
            if ("RUNNING".equals(job.path("state").asText()) && recovered) {
                long restarts = restarts(rest, jobId);
                System.out.printf("recovered: checkpoint %d completed %,d ms after %s; restored from checkpoint"
                                + " %s; failures in the exception history %d%n", completed.path("id").asLong(),
                        completed.path("latest_ack_timestamp").asLong() - sinceMs,
                        checkpointOnly ? "the outage ended" : "the kill",
                        restored.isObject() ? restored.path("id").asText() : "none", restarts);
                System.out.printf("RECOVERY_MS=%d%n", completed.path("latest_ack_timestamp").asLong() - sinceMs);
                return 0;
            }
            Thread.sleep(250);
        }
        System.err.printf("job %s did not recover (%s) within %s of the kill%n", jobId,
                checkpointOnly ? "no checkpoint triggered after it completed" : "no restore then a newer checkpoint",
                timeout);
        return 1;
    }

    private static long restarts(String rest, String jobId) throws Exception {
        JsonNode exceptions = get(rest, "/jobs/" + jobId + "/exceptions");
        return exceptions.path("exceptionHistory").path("entries").size();
    }

    /**
     * Waits until the predictions topic holds {@code count} committed records, checks that every expected id is there
     * exactly once, then waits (at most a minute more: a snapshot interval plus a checkpoint) until the newest model
     * snapshot has seen {@code count} examples.
     */
    private static int verify(String bootstrap, int count, Duration timeout) throws Exception {
        RecordCodec<Prediction> predictions = WireFormat.AVRO.codec(Prediction.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> ids;
        do {
            awaitCommittedOffsets(bootstrap, "chorus.predictions", count, deadline);
            ids = TopicReader.readAll(bootstrap, Map.of(), "chorus.predictions", v -> predictions.decode(v).getId());
        } while (ids.size() < count && sleepUnless(deadline, 500));
        Map<String, Integer> seen = new HashMap<>();
        for (String id : ids) {
            seen.merge(id, 1, Integer::sum);
        }
        long duplicates = seen.values().stream().filter(n -> n > 1).count();
        int missing = missing(seen, count);
        System.out.printf("predictions (read_committed): %,d records, %,d distinct ids, %,d duplicated, %,d missing"
                + " of %,d%n", ids.size(), seen.size(), duplicates, missing, count);

        RecordCodec<ModelSnapshot> models = WireFormat.AVRO.codec(ModelSnapshot.class);
        long snapshotDeadline = Math.min(deadline, System.nanoTime() + Duration.ofMinutes(1).toNanos());
        ModelSnapshot last;
        do {
            last = TopicReader.readAll(bootstrap, Map.of(), "chorus.models", models::decode).stream()
                    .reduce((x, y) -> y.getVersion() > x.getVersion() ? y : x).orElse(null);
        } while ((last == null || last.getExamplesSeen() < count) && sleepUnless(snapshotDeadline, 500));
        long examplesSeen = last == null ? 0 : last.getExamplesSeen();
        System.out.printf("last model snapshot: version %d, examples seen %,d (expected %,d), BLAS backend on the"
                + " cluster: %s%n", last == null ? -1 : last.getVersion(), examplesSeen, count,
                last == null ? "?" : last.getProvenance().get("blasBackend"));
        boolean ok = ids.size() == count && duplicates == 0 && missing == 0 && examplesSeen == count;
        System.out.println(ok ? "EXACTLY-ONCE: PASS" : "EXACTLY-ONCE: FAIL");
        return ok ? 0 : 1;
    }

    /**
     * The serve job answers every example once: with a prediction, or with a dead letter (keyed by the example id)
     * when no model had come yet and its waiting buffer was full. Checks that together they hold every expected id
     * exactly once, that at least {@code minPredictions} are real predictions, each made by a model version the
     * train job published on {@code chorus.models} (compaction cannot have removed any: the topic's segments do not
     * roll during a run), and that every dead letter is for want of a first model: a serve job that dead-lettered
     * everything fails here.
     */
    private static int verifyServe(String bootstrap, int count, String predictionsTopic, String deadLetterTopic,
            int minPredictions, Duration timeout) throws Exception {
        RecordCodec<Prediction> predictions = WireFormat.AVRO.codec(Prediction.class);
        RecordCodec<DeadLetter> deadLetters = WireFormat.AVRO.codec(DeadLetter.class);
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Prediction> served;
        List<DeadLetter> rejected;
        do {
            awaitCommittedOffsets(bootstrap, predictionsTopic, 1, deadline);
            served = TopicReader.readAll(bootstrap, Map.of(), predictionsTopic, predictions::decode);
            rejected = TopicReader.readAll(bootstrap, Map.of(), deadLetterTopic, deadLetters::decode);
        } while (served.size() + rejected.size() < count && sleepUnless(deadline, 500));
        Map<String, Integer> seen = new HashMap<>();
        served.forEach(p -> seen.merge(p.getId(), 1, Integer::sum));
        rejected.forEach(d -> seen.merge(StandardCharsets.UTF_8.decode(d.getKey()).toString(), 1, Integer::sum));
        long duplicates = seen.values().stream().filter(n -> n > 1).count();
        int missing = missing(seen, count);
        long versions = served.stream().map(Prediction::getModelVersion).distinct().count();
        System.out.printf("serve (read_committed): %,d predictions made with %d model versions (hot swaps), %,d dead"
                + " letters; %,d duplicated, %,d missing of %,d%n", served.size(), versions, rejected.size(),
                duplicates, missing, count);

        RecordCodec<ModelSnapshot> models = WireFormat.AVRO.codec(ModelSnapshot.class);
        Set<Long> published = TopicReader.readAll(bootstrap, Map.of(), "chorus.models", models::decode).stream()
                .map(ModelSnapshot::getVersion).collect(Collectors.toSet());
        List<String> problems = new ArrayList<>(serveProblems(served, rejected, published, minPredictions));
        if (served.size() + rejected.size() != count || duplicates > 0 || missing > 0) {
            problems.add("expected every one of the " + count + " examples answered exactly once");
        }
        problems.forEach(System.out::println);
        System.out.println(problems.isEmpty() ? "SERVE EXACTLY-ONCE: PASS" : "SERVE EXACTLY-ONCE: FAIL");
        return problems.isEmpty() ? 0 : 1;
    }

    /**
     * What is wrong with the serve job's answers besides their count: fewer than {@code minPredictions} real
     * predictions, predictions by a model version the train job never published, dead letters for anything but
     * the want of a first model. Empty when nothing is.
     */
    static List<String> serveProblems(List<Prediction> served, List<DeadLetter> rejected, Set<Long> published,
            int minPredictions) {
        List<String> problems = new ArrayList<>();
        if (served.size() < minPredictions) {
            problems.add(String.format("only %,d real predictions, expected at least %,d", served.size(),
                    minPredictions));
        }
        List<Prediction> unpublished = served.stream().filter(p -> !published.contains(p.getModelVersion())).toList();
        if (!unpublished.isEmpty()) {
            problems.add(String.format("%,d predictions name a model version the train job never published (%d"
                    + " published), e.g. %s with version %d", unpublished.size(), published.size(),
                    unpublished.get(0).getId(), unpublished.get(0).getModelVersion()));
        }
        String noModel = "no model yet for task \"" + FASHION_MNIST + "\"";
        List<DeadLetter> unexpected = rejected.stream()
                .filter(d -> !"task".equals(d.getField()) || !d.getReason().startsWith(noModel)).toList();
        if (!unexpected.isEmpty()) {
            problems.add(String.format("%,d dead letters are not for want of a first model (expected field 'task'"
                    + " and a reason starting \"%s\"), e.g. field %s: %s", unexpected.size(), noModel,
                    unexpected.get(0).getField(), unexpected.get(0).getReason()));
        }
        return problems;
    }

    /** How many of the ids {@link #produce} wrote for {@code count} examples are not in {@code seen}. */
    private static int missing(Map<String, Integer> seen, int count) throws IOException {
        int rows = FashionMnist.forDemo("auto", 0).size();
        int missing = 0;
        for (int i = 0; i < count; i++) {
            if (!seen.containsKey("r" + (i / rows) + "-" + (i % rows))) {
                missing++;
            }
        }
        return missing;
    }

    /** Until the read_committed end offsets (last stable offsets) of {@code topic} add up to {@code count}. */
    private static void awaitCommittedOffsets(String bootstrap, String topic, long count, long deadline)
            throws InterruptedException {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            do {
                long stable = consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
                if (stable >= count) {
                    return;
                }
            } while (sleepUnless(deadline, 200));
        }
    }

    /** Sleeps {@code ms} and returns true, or returns false at once when {@code deadline} (nanoTime) has passed. */
    private static boolean sleepUnless(long deadline, long ms) throws InterruptedException {
        if (System.nanoTime() >= deadline) {
            return false;
        }
        Thread.sleep(ms);
        return true;
    }

    /**
     * Scrapes every Flink process's Prometheus reporter, streams 1000 more examples and {@link #BAD_RECORDS}
     * undecodable records, scrapes again every 250 ms until the checks pass or {@code pause} has passed, and checks
     * what dashboards read: the train task's per-task metrics labelled task and variant, accuracy within [0,1],
     * examplesTrained growing, dead letters counted by field in both jobs, and the serve job's per-task predictions.
     * Run after a scenario's checks, as the extra records are in no count they make.
     */
    private static int scrapeMetrics(String bootstrap, String ports, Duration pause) throws Exception {
        String[] range = ports.split("-");
        List<String> problems;
        PrometheusScrape first = PrometheusScrape.of(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
        Topic<Example> examples = new Topic<>("chorus.examples", Example.class, WireFormat.AVRO);
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            for (int i = 0; i < BAD_RECORDS; i++) {
                producer.sendRaw(examples.name(), "bad-" + i, "not an example".getBytes(StandardCharsets.UTF_8));
            }
            producer.send(examples, head(FashionMnist.forDemo("auto", 0), 1000), FASHION_MNIST, "metrics",
                    1_800_000_000_000L, rows -> { });
        }
        // The new records count in the metrics as soon as both jobs have taken them in: scrape again every 250 ms
        // until the checks pass, and at most PAUSE after the records went out (what a failure reports).
        long deadline = System.nanoTime() + pause.toNanos();
        PrometheusScrape second;
        do {
            Thread.sleep(250); // polling interval, bounded by the deadline above
            second = PrometheusScrape.of(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
            problems = metricProblems(first, second);
        } while (!problems.isEmpty() && System.nanoTime() < deadline);
        System.out.printf("metrics: scraped %d reporters; examplesTrained %,.0f then %,.0f; prequentialAccuracy %s;"
                + " metric names checked: %s%n", second.endpoints(), first.sum(PER_TASK + "examplesTrained", TRAIN_TASK),
                second.sum(PER_TASK + "examplesTrained", TRAIN_TASK),
                second.values(PER_TASK + "prequentialAccuracy", TRAIN_TASK),
                second.names().stream().filter(n -> n.startsWith(PER_TASK) || n.equals(BY_FIELD)).toList());
        problems.forEach(System.out::println);
        System.out.println(problems.isEmpty() ? "METRICS: PASS" : "METRICS: FAIL");
        return problems.isEmpty() ? 0 : 1;
    }

    private static final Map<String, String> TRAIN_TASK = Map.of("job_name", "chorus-train", "task", FASHION_MNIST,
            "variant", "default");
    private static final String PER_TASK = "flink_taskmanager_job_task_operator_task_variant_";
    private static final String BY_FIELD = "flink_taskmanager_job_task_operator_field_deadLetters";

    /** What {@link #scrapeMetrics} finds wrong in {@code second}, scraped after the records {@code first} was before. */
    static List<String> metricProblems(PrometheusScrape first, PrometheusScrape second) {
        List<String> problems = new ArrayList<>();
        for (String name : List.of("prequentialAccuracy", "prequentialLoss", "modelVersion", "examplesTrained",
                "minibatchesRejected", "snapshotAgeMs")) {
            if (second.values(PER_TASK + name, TRAIN_TASK).isEmpty()) {
                problems.add("no " + PER_TASK + name + " with labels " + TRAIN_TASK);
            }
        }
        List<Double> accuracy = second.values(PER_TASK + "prequentialAccuracy", TRAIN_TASK);
        if (!accuracy.stream().allMatch(a -> a >= 0 && a <= 1)) {
            problems.add("prequentialAccuracy outside [0,1]: " + accuracy);
        }
        double before = first.sum(PER_TASK + "examplesTrained", TRAIN_TASK);
        double after = second.sum(PER_TASK + "examplesTrained", TRAIN_TASK);
        if (!(after > before)) {
            problems.add("examplesTrained did not grow between the scrapes: " + before + " then " + after);
        }
        for (String job : List.of("chorus-train", "chorus-serve")) {
            if (second.sum(BY_FIELD, Map.of("job_name", job, "field", "decode")) < BAD_RECORDS) {
                problems.add("fewer than " + BAD_RECORDS + " " + BY_FIELD + "{field=\"decode\"} in " + job);
            }
        }
        if (second.values(PER_TASK + "predictions", Map.of("job_name", "chorus-serve", "task", FASHION_MNIST,
                "variant", "default")).isEmpty()) {
            problems.add("no " + PER_TASK + "predictions of the serve job for task " + FASHION_MNIST);
        }
        return problems;
    }

    private static JsonNode get(String rest, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(rest + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + rest + path + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    private static Duration seconds(String s) {
        return Duration.ofSeconds(Long.parseLong(s));
    }
}
