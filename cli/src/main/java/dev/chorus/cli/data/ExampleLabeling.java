package dev.chorus.cli.data;

import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.schemas.Example;
import java.util.function.Consumer;

/**
 * Which examples a producer of the examples topic ({@code chorus produce}, {@code chorus bench e2e}) sends for a
 * dataset, in which order, and how they are labeled: a plan of {@link #size} sends, each of one dataset row.
 */
public interface ExampleLabeling {

    /** How many examples one pass over a dataset of {@code rows} rows sends. */
    int size(int rows);

    /** The dataset row of send {@code position}. */
    int row(int position);

    /**
     * Labels {@code unlabeled} (id, task, features and event time set) for send {@code position}, given its row's true
     * label, and passes it to {@code out}.
     */
    void label(int position, Example unlabeled, double trueLabel, Consumer<Example> out);

    /** Each row once, in order, with the dataset's own label: as the class index, or as the regression target. */
    static ExampleLabeling datasetLabels(boolean regression) {
        return new ExampleLabeling() {
            @Override
            public int size(int rows) {
                return rows;
            }

            @Override
            public int row(int position) {
                return position;
            }

            @Override
            public void label(int position, Example example, double y, Consumer<Example> out) {
                if (regression) {
                    example.setTarget(y);
                } else {
                    example.setLabel((int) y);
                }
                out.accept(example);
            }
        };
    }

    /**
     * Labels from simulated annotators: each row (an item) is labeled by several annotators of {@code pool}, each
     * labeling sent as its own example with the item's id and the annotator's id, in the simulator's seeded order,
     * so that an item's labels arrive far apart.
     */
    static ExampleLabeling simulatedAnnotators(AnnotatorPool pool, LabelStream stream) {
        return new ExampleLabeling() {
            @Override
            public int size(int rows) {
                return stream.size();
            }

            @Override
            public int row(int position) {
                return stream.items()[position];
            }

            @Override
            public void label(int position, Example example, double y, Consumer<Example> out) {
                example.setAnnotator(pool.get(stream.annotators()[position]).id());
                example.setLabel(stream.labels()[position]);
                out.accept(example);
            }
        };
    }
}
