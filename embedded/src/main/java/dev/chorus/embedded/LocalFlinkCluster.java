package dev.chorus.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

/**
 * A Flink MiniCluster with its web UI, for {@code chorus demo}, {@code chorus train} and other local runs.
 * Jobs are built on an ordinary {@link StreamExecutionEnvironment} and submitted here as job graphs, so the
 * same topology code runs here and on a real cluster.
 */
public final class LocalFlinkCluster implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MiniCluster cluster;
    private final Path checkpoints;
    private final HttpClient http = HttpClient.newHttpClient();
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private LocalFlinkCluster(MiniCluster cluster, Path checkpoints) {
        this.cluster = cluster;
        this.checkpoints = checkpoints;
    }

    /**
     * Starts one TaskManager with {@code slots} slots. The web UI binds to 127.0.0.1 on {@code restPort}, or on
     * the first free port of 8081-8181 when {@code restPort} is 0.
     */
    public static LocalFlinkCluster start(int slots, int restPort) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        conf.set(RestOptions.ADDRESS, "127.0.0.1");
        conf.set(RestOptions.BIND_PORT, restPort > 0 ? String.valueOf(restPort) : "8081-8181");
        conf.set(TaskManagerOptions.NUM_TASK_SLOTS, slots);
        // Checkpoints go to files, as in production (deploy/flink/config.yaml): the JobManager's in-memory storage
        // refuses state over 5 MB, which an MLP label model with its item history passes.
        Path checkpoints = Files.createTempDirectory("chorus-checkpoints-");
        conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints.toUri().toString());
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(slots)
                .build());
        cluster.start();
        return new LocalFlinkCluster(cluster, checkpoints);
    }

    /** The Flink web UI (and REST API) address. */
    public URI webUi() throws Exception {
        return cluster.getRestAddress().get(30, TimeUnit.SECONDS);
    }

    /**
     * The job's checkpoint statistics as Flink's REST API gives them ({@code GET /jobs/<id>/checkpoints}): counts,
     * a summary, the latest checkpoints and a history of the last few, each with {@code end_to_end_duration},
     * {@code state_size}, {@code checkpointed_size} and {@code status}.
     */
    public JsonNode checkpointStatistics(JobID job) throws Exception {
        URI uri = webUi().resolve("/jobs/" + job + "/checkpoints");
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + uri + ": HTTP " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** Submits the job defined on {@code env} and returns its id without waiting for it to finish. */
    public JobID submit(StreamExecutionEnvironment env, String jobName) throws Exception {
        StreamGraph streamGraph = env.getStreamGraph();
        streamGraph.setJobName(jobName);
        JobGraph graph = streamGraph.getJobGraph(Thread.currentThread().getContextClassLoader());
        return cluster.submitJob(graph).get(60, TimeUnit.SECONDS).getJobID();
    }

    /** Waits for the job to end and throws, with the job's own failure as the cause, if it did not succeed. */
    public JobResult await(JobID job) throws Exception {
        return await(job, failure -> false);
    }

    /**
     * As {@link #await(JobID)}, but also cancels the job and throws, with that failure as the cause, as soon as
     * it fails with a cause that {@code fatal} accepts: Flink would otherwise restart it for ever (the default
     * restart strategy of a checkpointed job), and a failure such as a missing Kafka ACL does not go away by
     * itself.
     */
    public JobResult await(JobID job, Predicate<Throwable> fatal) throws Exception {
        CompletableFuture<JobResult> ending = cluster.requestJobResult(job);
        long seenFailureAt = -1;
        while (!ending.isDone()) {
            ErrorInfo failure = cluster.getExecutionGraph(job).get(30, TimeUnit.SECONDS).getFailureInfo();
            if (failure != null && failure.getTimestamp() != seenFailureAt) {
                seenFailureAt = failure.getTimestamp();
                Throwable cause = failure.getException().deserializeError(Thread.currentThread().getContextClassLoader());
                if (fatal.test(cause)) {
                    cluster.cancelJob(job).get(60, TimeUnit.SECONDS);
                    throw new IllegalStateException("job " + job + " cancelled after a failure a restart cannot "
                            + "mend", cause);
                }
            }
            try {
                ending.get(500, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                // Poll the failure again.
            }
        }
        JobResult result = ending.get();
        if (!result.isSuccess()) {
            Throwable cause = result.getSerializedThrowable()
                    .map(t -> (Throwable) t.deserializeError(Thread.currentThread().getContextClassLoader()))
                    .orElse(null);
            throw new IllegalStateException("job " + job + " ended " + result.getApplicationStatus(), cause);
        }
        return result;
    }

    /** Stops the job with a canonical savepoint under {@code directory} (a URI) and returns the savepoint's path. */
    public String stopWithSavepoint(JobID job, String directory) throws Exception {
        return cluster.stopWithSavepoint(job, directory, false, SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
    }

    public void cancel(JobID job) throws Exception {
        cluster.cancelJob(job).get(60, TimeUnit.SECONDS);
    }

    /** Closes the cluster once: a later call (a shutdown hook's, the owner's) returns at once. */
    @Override
    public void close() throws Exception {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            cluster.close();
        } finally {
            try (Stream<Path> files = Files.walk(checkpoints)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
