import { Migration } from '@mikro-orm/migrations'

/**
 * Evidence keeps the file name it was uploaded with, up to 500 characters: names of 255 bytes
 * (the common file-system limit) are longer than 200 characters once they are not ASCII.
 */
export class Migration0014EvidenceFileNames extends Migration {
  override async up() {
    this.addSql(`alter table attachment alter column display_name type varchar(500)`)
  }

  override async down() {
    this.addSql(
      `alter table attachment alter column display_name type varchar(200) using left(display_name, 200)`,
    )
  }
}
