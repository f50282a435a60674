// Serialisation of @livekit/protocol (protobuf-es v1) messages in the two JSON
// dialects LiveKit uses on the wire.

// Twirp responses of the Go server (generated Twirp v8, protojson with
// EmitUnpopulated + UseProtoNames): snake_case keys, every default present,
// int64 as strings, and `null` for unset singular message fields. protobuf-es
// leaves unset message fields out even with emitDefaultValues, so add the nulls.
export function toTwirpJson(message) {
  const json = message.toJson({ useProtoFieldName: true, emitDefaultValues: true });
  addNullMessages(message, json);
  return json;
}

function addNullMessages(message, json) {
  for (const field of message.getType().fields.list()) {
    if (field.kind !== 'message' || field.oneof) continue;
    // Well-known types have special JSON forms (strings, numbers); leave them alone.
    if (field.T.typeName.startsWith('google.protobuf.')) continue;
    const value = message[field.localName];
    if (field.repeated) {
      const arr = json[field.name];
      if (Array.isArray(arr)) value.forEach((v, i) => addNullMessages(v, arr[i]));
    } else if (value === undefined) {
      json[field.name] = null;
    } else if (json[field.name] && typeof json[field.name] === 'object') {
      addNullMessages(value, json[field.name]);
    }
  }
}

// Webhook bodies (Go protojson defaults): camelCase keys, defaults omitted.
// This is protobuf-es's default toJson, which is what WebhookReceiver expects.
export function toWebhookJsonString(message) {
  return message.toJsonString();
}
