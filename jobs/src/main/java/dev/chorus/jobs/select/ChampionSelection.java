package dev.chorus.jobs.select;

import dev.chorus.jobs.kafka.AvroTypes;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Prediction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

/** Champion selection as a piece of topology: predictions in, champion records out. */
public final class ChampionSelection {

    /** Stable operator ids: savepoints map state to operators by these, so they never change. */
    public static final String UID_LABELLED = "labelled-predictions";
    public static final String UID_SELECTION = "champion-selection";

    private ChampionSelection() {}

    /**
     * Keys the labelled ones of {@code predictions} by task into a {@link ChampionSelectionFunction}; unlabelled
     * predictions are left out before the shuffle, since there is nothing to compare them on. {@code specs} is the
     * trainer's broadcast of the control topic's changes, so that a retired variant leaves the race; {@code defaults}
     * the job's {@code --spec}, the spec of a variant {@code default} the topic does not name.
     */
    public static SingleOutputStreamOperator<Champion> select(DataStream<Prediction> predictions,
            BroadcastStream<SpecChange> specs, SelectionSettings settings, TaskSpecs defaults) {
        return predictions
                .filter(p -> p.getLabel() != null || p.getTarget() != null)
                .name("labelled-predictions").uid(UID_LABELLED)
                .keyBy(Prediction::getTask, Types.STRING)
                .connect(specs)
                .process(new ChampionSelectionFunction(settings, defaults), AvroTypes.of(Champion.class))
                .name("champion-selection").uid(UID_SELECTION);
    }
}
