package dev.chorus.jobs.train;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.select.SearchRun;
import dev.chorus.core.select.VariantSpec;
import java.io.Serializable;
import java.util.List;
import java.util.Locale;

/**
 * The most parameters ({@link ModelSpec#parameterCount()}) a model the train job builds may have, and the most floats
 * its full minibatch may need ({@link ModelSpec#minibatchFloats()}) and the labels its label history may hold
 * ({@link ModelSpec#labelHistorySlots()}): {@code --spec},
 * each configured task's spec, and each live control record (every variant a search draws) are checked against it
 * before anything is allocated, so that one spec asking for a network no TaskManager can hold is refused with its
 * reason instead of failing every restart of the job with an {@link OutOfMemoryError}.
 */
public record ModelSizeBound(long maxParameters) implements Serializable {

    /**
     * 100 million: 400 MB of float weights, about 1.7 GB for an Adam model while it trains (17 bytes a parameter:
     * README, "Bounded tasks"); the largest model the benchmarks train (the hashed Debian-sections softmax, 2^20 rows ×
     * 58 classes, 61 million) fits below it.
     */
    public static final long DEFAULT_MAX_PARAMETERS = 100_000_000L;

    public ModelSizeBound {
        if (maxParameters < 1) {
            throw new IllegalArgumentException("maxModelParameters: expected a value >= 1, got " + maxParameters);
        }
    }

    /** What is wrong with {@code spec}'s size, as a reason naming field 'spec', or null when it is within. */
    public String problem(ModelSpec spec) {
        return problem(spec, "");
    }

    /**
     * Throws {@link IllegalArgumentException} with {@link #problem(ModelSpec)}'s reason for a spec beyond the bound: the
     * check a reader of saved model bytes applies to each spec they embed ({@code SavedModels.read(bytes, admit)}).
     */
    public void require(ModelSpec spec) {
        String problem = problem(spec);
        if (problem != null) {
            throw new IllegalArgumentException("its spec: " + problem);
        }
    }

    /** {@link #problem(ModelSpec)} for variant {@code name}'s model and each variant its search draws. */
    public String problem(VariantSpec spec, String name) {
        String problem = problem(spec.model(), "");
        List<String> drawn = SearchRun.variantNames(name, spec.variants());
        for (int i = 0; i < drawn.size() && problem == null; i++) {
            problem = problem(spec.variants().get(i).spec(), " for the search's variant '" + drawn.get(i) + "'");
        }
        return problem;
    }

    private String problem(ModelSpec spec, String where) {
        long count = spec.parameterCount();
        if (count > maxParameters) {
            return "field 'spec': expected a model of at most --max-model-parameters=" + grouped(maxParameters)
                    + " parameters, got " + counted(count) + where + " (" + spec.algorithm() + ": " + sizes(spec) + ")";
        }
        // A minibatch's buffers are one array each, whatever the bound.
        long maxFloats = Math.min(maxParameters, Integer.MAX_VALUE - 8);
        long minibatch = spec.minibatchFloats();
        if (minibatch > maxFloats) {
            return "field 'spec': expected a minibatch of at most " + (maxFloats == maxParameters
                    ? "--max-model-parameters=" + grouped(maxParameters) : "a Java array's " + grouped(maxFloats))
                    + " floats (batchSize × (inputs + hidden units + outputs)), got " + counted(minibatch) + where + " ("
                    + spec.algorithm() + ": batchSize " + spec.batchSize() + ", " + sizes(spec) + ")";
        }
        long history = spec.labelHistorySlots();
        if (history > maxParameters || spec.labelModel() != null
                && spec.labelModel().maxLabelsPerItem() > Integer.MAX_VALUE - 8) {
            return "field 'spec': expected a label history of at most --max-model-parameters=" + grouped(maxParameters)
                    + " labels (labelModel.historyItems × maxLabelsPerItem, each below a Java array's "
                    + grouped(Integer.MAX_VALUE - 8) + "), got " + grouped(spec.labelModel().historyItems()) + " × "
                    + grouped(spec.labelModel().maxLabelsPerItem()) + where;
        }
        return null;
    }

    private static String counted(long count) {
        return count == Long.MAX_VALUE ? "more than " + grouped(Long.MAX_VALUE - 1) : grouped(count);
    }

    /** The keys the count grows with. */
    private static String sizes(ModelSpec spec) {
        if (spec.skipGram() != null) {
            return "skipGram.buckets " + spec.skipGram().buckets() + ", skipGram.dim " + spec.skipGram().dim();
        }
        if (spec.output() != null) {
            return "inputDim " + spec.inputDim() + ", numClasses " + spec.numClasses() + ", output.dim "
                    + spec.output().dim();
        }
        String sizes = spec.shape();
        if (spec.embeddings() != null) {
            sizes += ", embeddings: " + spec.embeddings().fields().size() + " fields of " + spec.embeddings().buckets()
                    + " buckets × dim " + spec.embeddings().dim();
        }
        if (spec.labelModel() != null) {
            sizes += ", labelModel.maxAnnotators " + spec.labelModel().maxAnnotators();
        }
        return sizes;
    }

    /** {@code n} with thousands separators, as the bounds' reasons print counts. */
    static String grouped(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
