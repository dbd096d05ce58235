/** Saving and loading state dicts: safetensors (bytes and files) and a JSON convenience format. */

export { saveSafetensors, saveSafetensorsAsync, loadSafetensors, readSafetensorsHeader } from "./safetensors.js";
export type { SafetensorsDType, SafetensorsHeader, SafetensorsTensorInfo, SaveSafetensorsOptions } from "./safetensors.js";
export { stateDictToJSON, stateDictFromJSON } from "./json.js";
