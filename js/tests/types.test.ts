// The TypeScript declarations of the JS API, type-checked as a user's program would use them
// (tsc --strict, run by transport-wasm/tests/run.sh against the `--target nodejs` package).
// Nothing here runs: a declaration that stopped matching fails the check.
import { Identity, ObjectStorage, OciClient, OciDownload, OciResponse } from "./pkg/ocisdk_js.js";

export async function quickstart(oci: OciClient): Promise<string> {
  const group: OciResponse<Identity.Group> = await oci.identity.createGroup({
    createGroupDetails: { compartmentId: oci.tenancy, name: "g", description: "d", freeformTags: { team: "core" } },
  });
  const state: Identity.Group["lifecycleState"] = group.data.lifecycleState;
  const users: OciResponse<Identity.User[]> = await oci.identity.listUsers({ compartmentId: oci.tenancy, limit: 10 });
  const next: string | undefined = users.nextPage;
  // @ts-expect-error a required parameter is missing
  await oci.identity.getUser({});
  // @ts-expect-error a parameter of the wrong type
  await oci.identity.listUsers({ compartmentId: oci.tenancy, limit: "ten" });

  const ns: string = (await oci.objectStorage.getNamespace({})).data;
  const put: OciResponse<ObjectStorage.PutObjectOutput> = await oci.objectStorage.putObject(
    { namespaceName: ns, bucketName: "b", objectName: "o" }, new Uint8Array([1, 2, 3]));
  const got: OciDownload<ObjectStorage.ObjectMetadata> = await oci.objectStorage.getObject(
    { namespaceName: ns, bucketName: "b", objectName: "o" });
  const body: Uint8Array = got.body;
  const listed: ObjectStorage.ObjectSummary[] = (await oci.objectStorage.listObjects({ namespaceName: ns, bucketName: "b" })).data.objects;
  for await (const user of oci.identity.listUsersIter({ compartmentId: oci.tenancy })) {
    const name: string = user.name;
    void name;
  }
  const some: ObjectStorage.ObjectSummary[] = await oci.objectStorage.listObjectsAll({ namespaceName: ns, bucketName: "b" }, 100);
  return `${group.data.id} ${state} ${next} ${put.data.etag} ${body.length} ${listed.length} ${some.length}`;
}
