package dev.chorus.core.select;

import java.util.List;

/**
 * What a {@link VariantRace} decided, with its evidence. {@code atExample} is the position in the stream (examples
 * consumed, the minibatch that caused the event included) when it was decided.
 */
public sealed interface RaceEvent {

  long atExample();

  /** A rung of the search ended: {@code decision} says who goes on, who retires, and why. */
  record RungDecided(long atExample, Decision decision, String champion) implements RaceEvent {}

  /**
   * The detector of {@code variant} fired after {@code detectorExamples} losses since its start or last firing;
   * {@code meanLoss} is the variant's mean prequential loss over those losses (the evidence beside the firing).
   *
   * @param reaction what was done: {@value DriftSpec#NONE}, {@value DriftSpec#RESET}, {@value DriftSpec#REWARM} or
   *     {@value DriftSpec#FORK}
   * @param challengers the challengers a fork started; empty otherwise
   * @param note why the spec's reaction was not applied (a fork only starts from the champion, and not while a
   *     challenger of its latest fork is live); empty when it was
   */
  record DriftDetected(long atExample, String variant, long detectorExamples, double meanLoss, String reaction,
      List<String> challengers, String note) implements RaceEvent {

    public DriftDetected {
      challengers = List.copyOf(challengers);
    }
  }

  /**
   * {@code variant}, a challenger of {@code forkOf}'s fork, was retired because its paired test against the champion
   * counted {@code drift.forkPatienceExamples} pairs without promoting it; {@code reason} says so, as the job's
   * RETIRED record does.
   */
  record ForkRetired(long atExample, String variant, String forkOf, String reason) implements RaceEvent {}

  /**
   * {@code champion} replaced {@code previous}: by the paired test's {@code evidence}, or, with null evidence, as the
   * live challenger of lowest mean loss when {@code previous} was retired (a reset, a rung). Nothing is retired by a
   * promotion: the old champion races on as a challenger, as in the job.
   */
  record Promoted(long atExample, String previous, String champion, PairedComparison.Evidence evidence)
      implements RaceEvent {}
}
