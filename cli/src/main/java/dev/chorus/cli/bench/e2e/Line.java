package dev.chorus.cli.bench.e2e;

import dev.chorus.core.blas.BlasBackend;
import java.util.List;

/**
 * One line of {@code chorus bench e2e}: its result key ({@code softmax.p1}), what it measures, the model spec, the
 * parallelism, the number of tasks in its examples topic, and the BLAS backend when it must run in a child JVM on
 * that backend.
 */
record Line(String key, Kind kind, String spec, int parallelism, int tasks, BlasBackend childBlas,
        String description) {

    /** What a line measures. */
    enum Kind { TRAIN, SERVE, CHECKPOINT, PEER }

    static final String SOFTMAX = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,"
            + "\"batchSize\":128,\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"standardize\":true,"
            + "\"seed\":42}";
    static final String MLP256 = "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
            + "\"layers\":[{\"units\":256,\"activation\":\"relu\",\"init\":\"he-normal\"}],\"batchSize\":128,"
            + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.001},\"standardize\":true,\"seed\":42}";
    /** MLP-256 behind the Dawid-Skene label model: lights up once ModelSpec knows {@code labelModel}. */
    static final String MLP256_DAWID_SKENE = MLP256.substring(0, MLP256.length() - 1)
            + ",\"labelModel\":\"dawid-skene\"}";

    /** Every measured line, in the order they run: a softmax train line makes the model the serve line serves. */
    static final List<Line> ALL = List.of(
            new Line("softmax.p1", Kind.TRAIN, SOFTMAX, 1, 1, null, "train softmax, parallelism 1"),
            new Line("softmax.p2", Kind.TRAIN, SOFTMAX, 2, 1, null, "train softmax, parallelism 2, 1 task"),
            new Line("softmax_2tasks.p2", Kind.TRAIN, SOFTMAX, 2, 2, null, "train softmax, parallelism 2, 2 tasks"),
            new Line("mlp256.p1", Kind.TRAIN, MLP256, 1, 1, null, "train MLP-256, parallelism 1"),
            new Line("mlp256.p2", Kind.TRAIN, MLP256, 2, 1, null, "train MLP-256, parallelism 2, 1 task"),
            new Line("mlp256_2tasks.p2", Kind.TRAIN, MLP256, 2, 2, null, "train MLP-256, parallelism 2, 2 tasks"),
            new Line("mlp256_dawid_skene.p1", Kind.TRAIN, MLP256_DAWID_SKENE, 1, 1, null,
                    "train MLP-256 + Dawid-Skene, parallelism 1"),
            new Line("serve.p1", Kind.SERVE, SOFTMAX, 1, 1, null, "serve softmax, parallelism 1"),
            new Line("softmax_java.p1", Kind.TRAIN, SOFTMAX, 1, 1, BlasBackend.JAVA, "train softmax, pure-Java BLAS"),
            new Line("mlp256_java.p1", Kind.TRAIN, MLP256, 1, 1, BlasBackend.JAVA, "train MLP-256, pure-Java BLAS"),
            new Line("checkpoint.softmax", Kind.CHECKPOINT, SOFTMAX, 1, 1, null, "checkpoints, softmax"),
            new Line("checkpoint.mlp256", Kind.CHECKPOINT, MLP256, 1, 1, null, "checkpoints, MLP-256"),
            new Line("peers.sklearn_sgd_log", Kind.PEER, null, 1, 1, null, "scikit-learn SGDClassifier(log_loss)"));

    /** The warm-up before the measured lines; {@link SettlePolicy} says how long it runs and why. */
    static final Line WARMUP = new Line("warmup", Kind.TRAIN, SOFTMAX, 1, 1, null,
            "warm-up: train softmax, parallelism 1, cold JVM");

    /** Every line's key, for option help and checks. */
    static List<String> keys() {
        return ALL.stream().map(Line::key).toList();
    }

    /** The line of {@code key}. */
    static Line of(String key) {
        return ALL.stream().filter(l -> l.key().equals(key)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown line " + key));
    }

    String topicPrefix() {
        return "e2e-" + key.replace('.', '-').replace('_', '-');
    }

    /** The topics and group of the line's run: the line's prefix for the first, then numbered. */
    String runPrefix(int run) {
        return run == 0 ? topicPrefix() : topicPrefix() + "-run" + run;
    }
}
