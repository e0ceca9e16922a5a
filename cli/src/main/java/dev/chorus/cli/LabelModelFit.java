package dev.chorus.cli;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.ExampleValidator;
import dev.chorus.schemas.Example;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * {@code chorus fit} for a spec with a label model that takes a warm start (naive, majority, soft, Dawid–Skene): crowd
 * labels ({@link dev.chorus.cli.data.CrowdLabelsReader}) train it as the train job trains such a variant on the same
 * stream. Each label event is judged as the job's decoding judges it ({@link ExampleValidator}); they train in the
 * file's order, in minibatches of the spec's size (the last one partial), each item keyed as the job keys it
 * ({@link ExampleTensors#itemKey}). An annotator is admitted as the job admits it: when the label model would find
 * no slot for the open minibatch's annotators and a new one, the minibatch closes first if the label model alone
 * would take it, and a label that still finds no slot is not trained and is counted (the job dead-letters it). A
 * minibatch the numeric guard refuses leaves the model as it was, and is counted. The file holds what a snapshot of
 * the variant carries ({@link LabelModel#toSnapshotBytes}), which a label-model variant's warm start reads.
 */
final class LabelModelFit {
    private final ModelSpec spec;
    private final LabelModel model;
    private final List<Example> events;
    private final int items;
    private final int annotators;
    private long refusedLabels;
    private long refusedMinibatches;
    private long trainedMinibatches;

    /**
     * Judges {@code events} for {@code spec}.
     *
     * @throws IllegalArgumentException naming the first event the train job would refuse, its field and why
     */
    LabelModelFit(ModelSpec spec, List<Example> events) {
        this.spec = spec;
        this.model = LabelModels.create(spec);
        this.events = events;
        Set<String> itemIds = new HashSet<>();
        Set<String> annotatorIds = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            Example e = events.get(i);
            ExampleValidator.Rejection bad = ExampleValidator.validate(e, spec);
            if (bad != null) {
                throw new IllegalArgumentException("label event " + (i + 1) + " (item "
                        + ExampleValidator.quoted(e.getId()) + ", annotator " + ExampleValidator.quoted(e.getAnnotator())
                        + "): " + bad.reason());
            }
            itemIds.add(e.getId());
            annotatorIds.add(e.getAnnotator());
        }
        this.items = itemIds.size();
        this.annotators = annotatorIds.size();
    }

    int labels() {
        return events.size();
    }

    int items() {
        return items;
    }

    int annotators() {
        return annotators;
    }

    /** Labels from an annotator that found no slot, not trained. */
    long refusedLabels() {
        return refusedLabels;
    }

    /** Minibatches the numeric guard refused. */
    long refusedMinibatches() {
        return refusedMinibatches;
    }

    /** Minibatches trained (not refused). */
    long trainedMinibatches() {
        return trainedMinibatches;
    }

    /** The one pass over the labels, in the file's order; {@code progress} gets each minibatch's size. */
    double epoch(IntConsumer progress) {
        int size = spec.batchSize();
        int dim = spec.inputDim();
        float[] x = new float[size * dim];
        long[] batchItems = new long[size];
        String[] batchAnnotators = new String[size + 1];
        int[] labels = new int[size];
        int fill = 0;
        for (Example e : events) {
            String annotator = e.getAnnotator();
            if (fill > 0 && !admits(batchAnnotators, fill, annotator)
                    && model.firstRefusedAnnotator(new String[] {annotator}, 1) == null) {
                fill = train(x, batchItems, batchAnnotators, labels, fill, progress);
            }
            if (!admits(batchAnnotators, fill, annotator)) {
                refusedLabels++;
                progress.accept(1);
                continue;
            }
            ExampleTensors.copyFeatures(e, x, fill * dim, dim);
            batchItems[fill] = ExampleTensors.itemKey(e.getId());
            batchAnnotators[fill] = annotator;
            labels[fill] = e.getLabel();
            fill++;
            if (fill == size) {
                fill = train(x, batchItems, batchAnnotators, labels, fill, progress);
            }
        }
        train(x, batchItems, batchAnnotators, labels, fill, progress);
        return events.size() - refusedLabels;
    }

    /** Whether the label model would find a slot for the open minibatch's annotators and {@code annotator}. */
    private boolean admits(String[] open, int fill, String annotator) {
        open[fill] = annotator;
        return model.firstRefusedAnnotator(open, fill + 1) == null;
    }

    /** Trains the open minibatch of {@code n} events; returns the new fill, 0. */
    private int train(float[] x, long[] items, String[] annotators, int[] labels, int n, IntConsumer progress) {
        if (n == 0) {
            return 0;
        }
        try {
            model.train(x, items, annotators, labels, n);
            trainedMinibatches++;
        } catch (NonFiniteUpdateException e) {
            refusedMinibatches++;
        }
        progress.accept(n);
        return 0;
    }

    /** The model file: what a snapshot of such a variant carries. */
    byte[] toBytes() {
        return model.toSnapshotBytes();
    }
}
