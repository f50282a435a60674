#include "store/outbox_store.hpp"

namespace convene::store {

std::string_view ToString(OutboxEvent::Status status) {
  switch (status) {
    case OutboxEvent::Status::kPending:
      return "pending";
    case OutboxEvent::Status::kDelivered:
      return "delivered";
    case OutboxEvent::Status::kFailed:
      return "failed";
  }
  return "pending";
}

}  // namespace convene::store
