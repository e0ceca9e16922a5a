package dev.chorus.jobs.select;

import dev.chorus.core.select.ChampionRace;
import dev.chorus.core.select.Normal;
import dev.chorus.core.select.PairedComparison;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.ChampionEvidence;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.StandingStatus;
import java.util.ArrayList;
import java.util.List;

/** A task's race as a {@link Champion} record: the champion, the evidence of the latest change, the standings. */
final class ChampionRecords {

    /** The 97.5% normal quantile: the accuracy intervals are Wilson 95%. */
    static final double Z_95 = Normal.upperCritical(0.025);

    private ChampionRecords() {}

    /**
     * {@code race}'s standings under the champion of {@code latest} (its previous variant and evidence kept). A race
     * whose last live variant was retired has no champion: its record names {@code latest}'s, RETIRED in the
     * standings, since a record must name a variant ({@code Champion.variant} is not nullable) and that is the one
     * serving answers with (the serve job keeps the model of the variant it serves, retired or not, until a record
     * names another: {@code ServeBounds}).
     */
    static Champion of(String task, ChampionRace race, Champion latest, long now) {
        String champion = race.champion() != null ? race.champion() : latest.getVariant();
        List<VariantStanding> standings = new ArrayList<>();
        long championVersion = 0;
        for (ChampionRace.Standing s : race.standings()) {
            standings.add(standing(s));
            if (s.variant().equals(champion)) {
                championVersion = s.modelVersion();
            }
        }
        return Champion.newBuilder(latest).setTask(task).setVariant(champion).setModelVersion(championVersion)
                .setStandings(standings).setUpdatedAt(now).build();
    }

    /** The first record of a task: champion since {@code now}, no previous variant, no evidence. */
    static Champion first(String task, ChampionRace race, long now) {
        return of(task, race, Champion.newBuilder().setTask(task).setVariant(race.champion()).setModelVersion(0)
                .setSince(now).setStandings(List.of()).setUpdatedAt(now).build(), now);
    }

    /** The record of {@code change}: champion since {@code now}, with the change's evidence. */
    static Champion changed(String task, ChampionRace race, ChampionRace.Change change, long now) {
        Champion latest = Champion.newBuilder().setTask(task).setVariant(change.champion()).setModelVersion(0)
                .setSince(now).setPreviousVariant(change.previous()).setEvidence(evidence(change.evidence()))
                .setStandings(List.of()).setUpdatedAt(now).build();
        return of(task, race, latest, now);
    }

    private static ChampionEvidence evidence(PairedComparison.Evidence e) {
        return e == null ? null : ChampionEvidence.newBuilder().setTest(e.test()).setPairedExamples(e.pairedExamples())
                .setMeanDifference(e.meanDifference()).setLowerBound(e.lowerBound()).setAlpha(e.alpha())
                .setMargin(e.margin()).build();
    }

    private static VariantStanding standing(ChampionRace.Standing s) {
        VariantStanding.Builder b = VariantStanding.newBuilder().setVariant(s.variant())
                .setStatus(StandingStatus.valueOf(s.status().name())).setLabelledExamples(s.labelled())
                .setLossMean(s.lossMean()).setLossStandardError(s.lossStandardError())
                .setModelVersion(s.modelVersion()).setLastDriftAt(s.lastDriftAt());
        if (s.classifier() && s.labelled() > 0) {
            double[] interval = Normal.wilson(s.correct(), s.labelled(), Z_95);
            b.setAccuracy((double) s.correct() / s.labelled()).setAccuracyLow(interval[0]).setAccuracyHigh(interval[1]);
        }
        return b.build();
    }
}
