package dev.chorus.cli;

import dev.chorus.schemas.Example;
import java.util.function.Consumer;

/**
 * How the examples sent for one dataset row are labeled: the extension point of {@code chorus produce}.
 * Today each row is sent once with the dataset's own label. Simulated annotators (one noisy labeling per
 * annotator, each example carrying the same item id and its own {@code annotator}) are another implementation,
 * to be chosen by an {@code --annotators} option when that issue lands.
 */
interface ExampleLabeling {

    /**
     * Labels {@code unlabeled} (id, task, features and event time set) given the row's true label, and passes
     * each example to send to {@code out}.
     */
    void label(Example unlabeled, double trueLabel, Consumer<Example> out);

    /** The dataset's own label: as the class index, or as the regression target. */
    static ExampleLabeling datasetLabels(boolean regression) {
        if (regression) {
            return (example, y, out) -> {
                example.setTarget(y);
                out.accept(example);
            };
        }
        return (example, y, out) -> {
            example.setLabel((int) y);
            out.accept(example);
        };
    }
}
