package dev.chorus.jobs.select;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.PairedComparison;
import java.io.IOException;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Writes a task's {@link ChampionRace} in model-core's own versioned layout (no Kryo, no reflection). The race's
 * settings are not part of its state: a read race has the defaults until {@link ChampionSelectionFunction} applies
 * the job's ({@link ChampionRace#configure}).
 */
public final class ChampionRaceSerializer extends CoreStateSerializer<ChampionRace> {
    private static final long serialVersionUID = 1L;

    @Override
    public ChampionRace copy(ChampionRace from) {
        return from == null ? null : from.copy();
    }

    @Override
    public void serialize(ChampionRace race, DataOutputView out) throws IOException {
        race.writeTo(out);
    }

    @Override
    public ChampionRace deserialize(DataInputView in) throws IOException {
        return ChampionRace.readFrom(in, PairedComparison.Settings.defaults(), SelectionSettings.DEFAULT_MAX_PENDING);
    }

    @Override
    public TypeSerializerSnapshot<ChampionRace> snapshotConfiguration() {
        return new Snapshot();
    }

    /** No configuration to write: the layout version is inside the state. */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<ChampionRace> {
        public Snapshot() {
            super(ChampionRaceSerializer::new);
        }
    }
}
