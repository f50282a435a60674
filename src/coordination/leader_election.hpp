#pragma once

namespace convene::coordination {

/// Decides which instance runs the background jobs (auto-deletion collector, reconciliation,
/// outbox delivery), so that each runs on exactly one instance of a deployment. Jobs ask
/// IsLeader() at every tick and skip the tick when it is false.
///
/// Leadership is a lease: an instance that stops renewing it (crash, partition, lost Redis) loses
/// it after the lease time and another instance takes over. Around a take-over two instances may
/// briefly both believe they lead, so every job must stay safe to run twice (they are: the
/// collector and reconciliation are idempotent and outbox delivery is at-least-once).
class LeaderElection {
 public:
  virtual ~LeaderElection() = default;
  /// The current belief, without I/O. Thread-safe.
  virtual bool IsLeader() const noexcept = 0;
};

/// A deployment of one instance: it always leads.
class SoleInstance final : public LeaderElection {
 public:
  bool IsLeader() const noexcept override { return true; }
};

}  // namespace convene::coordination
