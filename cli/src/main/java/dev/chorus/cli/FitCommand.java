package dev.chorus.cli;

import dev.chorus.cli.data.CrowdLabelsReader;
import dev.chorus.cli.data.FieldsJsonReader;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.core.annotators.LabelModelWarmStart;
import dev.chorus.core.blas.Blas;
import dev.chorus.core.io.DenseDataset;
import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.ValueRange;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Example;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.IntConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code chorus fit FILE --spec SPEC --out MODEL}: trains a model offline on a dataset file, in the file's order, in
 * minibatches of the spec's size, and writes it as a Chorus model file: the bytes of an {@link OnlineLearner}
 * ({@link OnlineLearner#toBytes}, magic {@code CHOL}), the same a model snapshot carries, which
 * {@code chorus specs put --warm-start-file} starts a variant from. A spec with {@code hashing} (a hashed linear, wide
 * and deep or large-softmax model) trains on JSON lines of named-field examples instead ({@link FieldsFit}), a
 * skip-gram spec on their token sequences ({@link SequencesFit}), a spec with a {@code labelModel} on crowd labels
 * ({@link LabelModelFit}). A minibatch the numeric guard refuses (its update would make a parameter non-finite)
 * leaves the model as it was and is counted, and the fit goes on, as in the job; a fit of which it refused every one
 * trained nothing, fails, and writes no file. The file is written whole or not at all ({@link #writeWhole}).
 */
@Command(name = "fit", mixinStandardHelpOptions = true,
        description = {"Train a model offline on a dataset file and write it as a Chorus model file (the bytes a model "
                + "snapshot carries), for chorus specs put --warm-start-file.",
                "FILE is IDX images (labels from --labels), CSV (label in --label-column) or LibSVM, gzip or not; its "
                        + "rows train in the file's order. A spec with hashing (hashed linear, wide-deep, "
                        + "large-softmax) trains on JSON lines of named-field examples (jsonl, as chorus produce reads "
                        + "them), or on the package catalogue (--package-catalogue); a skip-gram spec on the token "
                        + "sequences of such examples. A spec with labelModel (naive, majority, soft, dawid-skene) "
                        + "trains on JSON lines of crowd labels: {\"item\":...,\"annotator\":...,\"label\":...,"
                        + "\"features\":[...]}, one label event a line."})
final class FitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    DatasetFile data;

    @Mixin
    PackageCatalogueOptions catalogue;

    @Option(names = "--spec", required = true, paramLabel = "JSON|@FILE",
            description = "The model spec (the JSON chorus specs put takes; management keys such as warmStart are "
                    + "ignored here).")
    String specJson;

    @Option(names = "--out", required = true, paramLabel = "MODEL", description = "The model file to write.")
    Path out;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "1",
            description = "Passes over FILE (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Show a progress bar on stderr (default); --no-progress hides it.")
    boolean progress;

    /** Dense minibatches the numeric guard refused. */
    private long refused;
    /** Dense rows in minibatches trained, over every epoch. */
    private long trained;

    @Override
    public Integer call() throws Exception {
        if (epochs < 1) {
            throw data.usage("--epochs: expected an integer >= 1, got " + epochs);
        }
        ModelSpec model;
        try {
            model = VariantSpecs.parseVariant(TrainJobOptions.readSpec(specJson),
                    TrainSettings.DEFAULT_MAX_VARIANTS_PER_TASK).model();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            // The argument, not the fit: a usage error (exit 2), as the same spec given to specs put is.
            throw new ParameterException(spec.commandLine(), "--spec: " + e.getMessage(), e);
        }
        if (catalogue.check(data, List.of("--input-format", "--labels", "--header", "--label-column", "--delimiter",
                "--zero-based", "--dim"))) {
            return fitFields(model, () -> catalogue.examples(data.file, PackageCatalogue.TASK, 0));
        }
        DatasetFile.InputFormat input = data.check();
        if (model.labelModel() != null) {
            return fitLabels(model, input);
        }
        if (input == DatasetFile.InputFormat.JSONL) {
            return fitFields(model, () -> FieldsJsonReader.read(data.file, "fit", 0));
        }
        if (model.hashing() != null || model.skipGram() != null) {
            throw data.usage("--spec: a spec with 'hashing' trains on JSON lines of named fields (jsonl), a skip-gram "
                    + "on their token sequences, got " + input.name().toLowerCase(Locale.ROOT) + " rows");
        }
        String dense = LearnerWarmStart.mismatch(model, model, false);
        if (dense != null) {
            throw data.usage("--spec: " + dense);
        }
        DenseDataset rows = data.read(input).toDense();
        check(rows, model);
        OnlineLearner learner = OnlineLearner.create(model, Blas.get(), data.file.toString());
        long started = System.nanoTime();
        double loss = 0;
        try (ProgressBar bar = progressBar((long) rows.rows() * epochs)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                loss = epoch(learner, rows, bar);
            }
        }
        requireTrained(trained, refused);
        return written(model, rows.rows(), started, loss, learner.toBytes(), refusedNote(refused));
    }

    /** Named-field examples, read once the spec is known to take them. */
    private interface Examples {
        List<Example> read() throws IOException;
    }

    /** A fit of named-field examples, built from them (judging them as the job's decoding does). */
    private interface FitOf<T> {
        T of(List<Example> examples);
    }

    /** One pass over a fit's examples, which reports its progress; returns the pass's figure. */
    private interface Pass {
        double run(IntConsumer progress);
    }

    /** The fit of {@code examples}; an example the job would refuse is a usage error naming it. */
    private <T> T judged(FitOf<T> fit, Examples examples) throws IOException {
        try {
            return fit.of(examples.read());
        } catch (IllegalArgumentException e) {
            throw data.usage(data.file + ": " + e.getMessage());
        }
    }

    /** {@code --epochs} passes of {@code perEpoch} examples behind one progress bar; the last pass's figure. */
    private double passes(long perEpoch, Pass pass) {
        double last = 0;
        try (ProgressBar bar = progressBar(perEpoch * epochs)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                last = pass.run(n -> {
                    if (bar != null) {
                        bar.stepBy(n);
                    }
                });
            }
        }
        return last;
    }

    /**
     * A hashed linear, wide and deep or large-softmax spec, on named-field examples (JSON lines, or the package
     * catalogue): {@link FieldsFit}; a skip-gram spec on their token sequences.
     */
    private int fitFields(ModelSpec model, Examples examples) throws IOException {
        if (model.skipGram() != null) {
            return fitSequences(model, examples);
        }
        if (!FieldsFit.takes(model)) {
            throw data.usage(data.file + ": named-field examples (jsonl, --package-catalogue) train a spec with "
                    + "'hashing' (a hashed linear, wide-deep or large-softmax model) or a skip-gram, got "
                    + model.toJson());
        }
        FieldsFit fit = judged(e -> new FieldsFit(model, e), examples);
        if (fit.examples() == 0) {
            throw new IllegalStateException(data.file + ": no labelled examples to fit");
        }
        long started = System.nanoTime();
        double loss = passes(fit.examples(), fit::epoch);
        requireTrained(fit.trained(), fit.refused());
        return written(model, fit.examples(), started, loss, fit.toBytes(),
                (fit.unlabelled() == 0 ? "" : String.format(Locale.ROOT, "; %,d unlabelled examples not trained",
                        fit.unlabelled()))
                + refusedNote(fit.refused()));
    }

    /** A spec with a label model that takes a warm start, on crowd labels: {@link LabelModelFit}. */
    private int fitLabels(ModelSpec model, DatasetFile.InputFormat input) throws IOException {
        if (input != DatasetFile.InputFormat.JSONL) {
            throw data.usage("--spec: a spec with 'labelModel' trains on JSON lines of crowd labels (jsonl: item, "
                    + "annotator, label, features), got " + input.name().toLowerCase(Locale.ROOT) + " rows");
        }
        if (!LabelModelWarmStart.METHODS.contains(model.labelModel().method())) {
            throw data.usage("--spec: field 'labelModel.method': expected one a variant warm-starts from "
                    + LabelModelWarmStart.METHODS + ", got \"" + model.labelModel().method() + "\"");
        }
        if (epochs != 1) {
            throw data.usage("--epochs: a label model trains on its labels once, as a stream, got " + epochs);
        }
        LabelModelFit fit = judged(e -> new LabelModelFit(model, e), () -> CrowdLabelsReader.read(data.file, "fit"));
        if (fit.labels() == 0) {
            throw new IllegalStateException(data.file + ": no labels to fit");
        }
        long started = System.nanoTime();
        passes(fit.labels(), fit::epoch);
        requireTrained(fit.trainedMinibatches(), fit.refusedMinibatches());
        byte[] bytes = fit.toBytes();
        writeWhole(out, bytes);
        PrintWriter printed = spec.commandLine().getOut();
        printed.printf(Locale.ROOT, "fit %s label model (%s) on %,d labels of %,d items by %,d annotators of %s in %.1f s:"
                + " %,d bytes written to %s%s%s%n", model.labelModel().method(), model.algorithm(), fit.labels(),
                fit.items(), fit.annotators(), data.file, (System.nanoTime() - started) / 1e9, bytes.length, out,
                fit.refusedLabels() == 0 ? "" : String.format(Locale.ROOT, "; %,d label%s from an annotator past "
                        + "maxAnnotators (%d) not trained, as the train job dead-letters %s", fit.refusedLabels(),
                        fit.refusedLabels() == 1 ? "" : "s", model.labelModel().maxAnnotators(),
                        fit.refusedLabels() == 1 ? "it" : "them"),
                refusedNote(fit.refusedMinibatches()));
        printed.flush();
        return 0;
    }

    /** A skip-gram spec, on the token sequences of named-field examples: {@link SequencesFit}. */
    private int fitSequences(ModelSpec model, Examples examples) throws IOException {
        SequencesFit fit = judged(e -> new SequencesFit(model, e), examples);
        if (fit.sequences() == 0) {
            throw new IllegalStateException(data.file + ": no token sequences to fit");
        }
        long started = System.nanoTime();
        long pairs = (long) passes(fit.sequences(), fit::epoch);
        if (fit.refused() == (long) fit.sequences() * epochs) {
            throw new IllegalStateException(data.file + ": the numeric guard refused every sequence (" + fit.refused()
                    + "): each would have made a vector non-finite, so nothing trained and no model was written to "
                    + out + "; a lower learning rate trains");
        }
        byte[] bytes = fit.toBytes();
        writeWhole(out, bytes);
        PrintWriter printed = spec.commandLine().getOut();
        printed.printf(Locale.ROOT, "fit %s on %,d sequences of %s (%d epoch%s) in %.1f s, %,d (centre, context) pairs "
                + "in the last epoch: %,d bytes written to %s%s%n", model.algorithm(), fit.sequences(), data.file, epochs,
                epochs == 1 ? "" : "s", (System.nanoTime() - started) / 1e9, pairs, bytes.length, out,
                fit.refused() == 0 ? "" : String.format(Locale.ROOT, "; %,d sequence%s refused by the numeric guard "
                        + "(non-finite), the model kept as it was", fit.refused(), fit.refused() == 1 ? "" : "s"));
        printed.flush();
        return 0;
    }

    private ProgressBar progressBar(long max) {
        return progress ? new ProgressBarBuilder().setTaskName("Fitting").setInitialMax(max)
                .setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed().setMaxRenderedLength(110).build()
                : null;
    }

    /**
     * Fails when nothing trained: the numeric guard refused each of the {@code refused} minibatches, so the model is
     * the untrained one, which no file should pass for a fit (exit 1, nothing written).
     */
    private void requireTrained(long trained, long refused) {
        if (trained == 0) {
            throw new IllegalStateException(data.file + ": the numeric guard refused every minibatch (" + refused
                    + "): each update would have made a parameter non-finite, so nothing trained and no model was "
                    + "written to " + out + "; a lower learning rate (or smaller feature values) trains");
        }
    }

    /**
     * Writes {@code bytes} to {@code out} whole or not at all: into a new file beside it, then moved over it at once
     * (atomically where the file system can), so that a fit that fails, or is stopped, while it writes leaves the
     * file that was there as it was, never a model cut short that a warm start would refuse.
     */
    static void writeWhole(Path out, byte[] bytes) throws IOException {
        Path target = out.toAbsolutePath();
        Path partial = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".partial");
        try {
            try (FileChannel channel = FileChannel.open(partial, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    private static String refusedNote(long refusedMinibatches) {
        return refusedMinibatches == 0 ? "" : String.format(Locale.ROOT, "; %,d minibatches refused by the numeric "
                + "guard (non-finite), the model kept as it was", refusedMinibatches);
    }

    /**
     * Writes the model file and says so; {@code loss} is the mean over the rows the last epoch trained, NaN when the
     * numeric guard refused each of its minibatches.
     */
    private int written(ModelSpec model, int examples, long started, double loss, byte[] bytes, String notes)
            throws IOException {
        writeWhole(out, bytes);
        PrintWriter printed = spec.commandLine().getOut();
        printed.printf(Locale.ROOT, "fit %s on %,d examples of %s (%d epoch%s) in %.1f s, %s: %,d bytes written to %s%s%n",
                model.algorithm(), examples, data.file, epochs, epochs == 1 ? "" : "s",
                (System.nanoTime() - started) / 1e9, Double.isNaN(loss) ? "no loss of the last epoch (the numeric "
                        + "guard refused each of its minibatches)" : String.format(Locale.ROOT, "mean loss of the last "
                        + "epoch %.4f", loss), bytes.length, out, notes);
        printed.flush();
        return 0;
    }

    /**
     * One pass in the file's order; returns the mean loss of the minibatches it trained, weighted by their sizes (a
     * refused minibatch counts neither its loss nor its rows), NaN when it trained none.
     */
    private double epoch(OnlineLearner learner, DenseDataset rows, ProgressBar bar) {
        int dim = rows.dim();
        int batch = learner.spec().batchSize();
        boolean classifier = learner.isClassifier();
        int[] classes = classifier ? rows.classLabels() : null;
        double[] targets = rows.labels();
        float[] x = new float[batch * dim];
        int[] y = new int[batch];
        float[] t = new float[batch];
        double lossSum = 0;
        long trainedRows = 0;
        for (int start = 0; start < rows.rows(); start += batch) {
            int n = Math.min(batch, rows.rows() - start);
            System.arraycopy(rows.features(), start * dim, x, 0, n * dim);
            for (int i = 0; i < n; i++) {
                if (classifier) {
                    y[i] = classes[start + i];
                } else {
                    t[i] = (float) targets[start + i];
                }
            }
            try {
                lossSum += n * (classifier ? learner.trainMinibatch(x, y, null, n)
                        : learner.trainMinibatch(x, t, null, n));
                trainedRows += n;
            } catch (NonFiniteUpdateException e) {
                refused++;
            }
            if (bar != null) {
                bar.stepBy(n);
            }
        }
        trained += trainedRows;
        return trainedRows == 0 ? Double.NaN : lossSum / trainedRows;
    }

    /**
     * The rows must fit the spec as the train job's checks would have them: its input dimension, class labels in
     * range for a classifier, every value finite and at most {@link ExampleValidator#MAX_MAGNITUDE} in magnitude, so
     * in the spec's {@code featureRange} if it declares one, and every target (of a regression) likewise, before it
     * becomes the float32 it trains as, and in the spec's {@code targetRange}.
     */
    private void check(DenseDataset rows, ModelSpec model) {
        if (rows.rows() == 0) {
            throw new IllegalStateException(data.file + ": no examples to fit");
        }
        if (rows.dim() != model.inputDim()) {
            throw data.usage(data.file + ": expected rows of the spec's inputDim " + model.inputDim()
                    + " features, got " + rows.dim());
        }
        if (model.isClassifier()) {
            for (int c : rows.classLabels()) {
                if (c < 0 || c >= model.numClasses()) {
                    throw data.usage(data.file + ": expected class labels in [0, " + model.numClasses()
                            + ") (the spec's numClasses), got " + c);
                }
            }
        }
        float[] values = rows.features();
        for (int i = 0; i < rows.rows() * rows.dim(); i++) {
            // The job's rule (ExampleValidator.basic): NaN fails the comparison too.
            if (!(Math.abs(values[i]) <= ExampleValidator.MAX_MAGNITUDE)) {
                throw data.usage(data.file + ": expected " + (Float.isFinite(values[i]) ? "feature values of at most "
                        + ExampleValidator.MAX_MAGNITUDE + " in magnitude (a square must stay finite in float32, "
                        + "which training runs in)" : "finite feature values") + ", got " + values[i] + " in row "
                        + (i / rows.dim() + 1) + ", feature " + i % rows.dim());
            }
        }
        ValueRange features = model.featureRange();
        int outside = features == null ? -1 : features.firstOutside(rows.features(), 0, rows.rows() * rows.dim());
        if (outside >= 0) {
            throw data.usage(data.file + ": expected feature values " + features.describe() + " (the spec's "
                    + "featureRange), got " + rows.features()[outside] + " in row " + (outside / rows.dim() + 1)
                    + ", feature " + outside % rows.dim());
        }
        for (int i = 0; !model.isClassifier() && i < rows.rows(); i++) {
            double target = rows.labels()[i];
            // The job's rule (ExampleValidator's target check), on the target as produce sends it: a double.
            if (!(Math.abs(target) <= ExampleValidator.MAX_MAGNITUDE)) {
                throw data.usage(data.file + ": expected " + (Double.isFinite(target) ? "targets of at most "
                        + ExampleValidator.MAX_MAGNITUDE + " in magnitude (a squared error must stay finite in "
                        + "float32, which training runs in)" : "finite targets") + ", got " + target + " in row "
                        + (i + 1));
            }
        }
        ValueRange targets = model.targetRange();
        for (int i = 0; targets != null && i < rows.rows(); i++) {
            float target = (float) rows.labels()[i];
            if (!targets.contains(target)) {
                throw data.usage(data.file + ": expected targets " + targets.describe() + " (the spec's "
                        + "targetRange), got " + rows.labels()[i] + " in row " + (i + 1));
            }
        }
    }
}
